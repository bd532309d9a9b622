"""A v1.1 cycle with python-zaqarclient against the server at sys.argv[1]; prints one line per step."""
import sys

from zaqarclient.queues import client
from zaqarclient.queues.v1 import core

url = sys.argv[1]
conf = {"auth_opts": {"backend": "noauth", "options": {"os_project_id": "v1-1-project"}}}
cli = client.Client(url, version=1.1, conf=conf)
print("health", cli.health())

request, transport = cli._request_and_transport()
core.queue_create(transport, request, "cycle", metadata={"color": "red"})
queue = cli.queue("cycle", auto_create=False)
print("metadata", queue.metadata(force_reload=True))

queue.post([{"body": {"n": 1}, "ttl": 300}, {"body": {"n": 2}}, {"body": {"n": 3}}])
print("listed", [m.body["n"] for m in queue.messages(echo=True)])
print("ttls", sorted(m.ttl for m in queue.messages(echo=True)))
print("popped", [m.body["n"] for m in queue.pop()])

claim = queue.claim(ttl=60, grace=60)
claimed = list(claim)
print("claimed", [m.body["n"] for m in claimed])
for message in claimed:
    message.delete()
print("stats", queue.stats["messages"])
print("queues", [q.name for q in cli.queues()])
queue.delete()
print("deleted", [q.name for q in cli.queues()])
