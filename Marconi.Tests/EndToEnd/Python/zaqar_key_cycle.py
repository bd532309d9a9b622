"""python-zaqarclient with API keys (Marconi:Auth:Mode=keys) against the server at sys.argv[1].

The keystone backend with a token and an endpoint sends the token as X-Auth-Token and never
contacts Keystone. Arguments: url, a full key, a produce key and a consume key of one project,
and that project. Prints one line per step.
"""
import sys

from zaqarclient.queues import client
from zaqarclient.transport import errors

url, full, produce, consume, project = sys.argv[1:6]


def connect(token, project_id=None):
    options = {"os_auth_token": token}
    if project_id:
        options["os_project_id"] = project_id
    return client.Client(url, version=2, conf={"auth_opts": {"backend": "keystone", "options": options}})


def attempt(step):
    try:
        step()
        return "allowed"
    except errors.UnauthorizedError:
        return "401"
    except errors.ForbiddenError:
        return "403"


owner = connect(full, project)
queue = owner.queue("jobs", force_create=True)
queue.post([{"body": {"n": 1}}, {"body": {"n": 2}}])
print("posted", sorted(m.body["n"] for m in queue.messages(echo=True)))

# A project key names its project: no os_project_id is needed.
queues, _ = connect(full).queues()
print("implied", [q.name for q in queues])

producer = connect(produce).queue("jobs")
producer.post([{"body": {"n": 3}}])
print("producer claims", attempt(lambda: producer.claim(ttl=60, grace=60)))
consumer = connect(consume).queue("jobs")
print("consumer posts", attempt(lambda: consumer.post([{"body": {"n": 4}}])))
claim = consumer.claim(ttl=60, grace=60, limit=5)
print("consumer claims", sorted(m.body["n"] for m in claim))
print("consumer stats", consumer.stats["messages"]["claimed"])

print("another project", attempt(lambda: connect(full, "someone-else").queue("jobs").stats))
print("garbage key", attempt(lambda: connect("garbage", project).queue("jobs").stats))
anonymous = client.Client(url, version=2, conf={"auth_opts": {"backend": "noauth", "options": {"os_project_id": project}}})
print("no key", attempt(lambda: list(anonymous.queues()[0])))
print("stats", owner.queue("jobs").stats["messages"]["total"])
