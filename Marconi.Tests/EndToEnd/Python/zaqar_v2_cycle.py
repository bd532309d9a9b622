"""A v2 cycle with python-zaqarclient against the server at sys.argv[1]; prints one line per step."""
import sys

from zaqarclient.queues import client

url = sys.argv[1]
conf = {"auth_opts": {"backend": "noauth", "options": {"os_project_id": "v2-project"}}}
cli = client.Client(url, version=2, conf=conf)
print("ping", cli.ping())
print("health", cli.health()["storage_reachable"])
print("homedoc", "rel/queue_purge" in cli.homedoc()["resources"])

queue = cli.queue("cycle", force_create=True)
queue.metadata(new_meta={"color": "red", "_default_message_ttl": 300})
meta = queue.metadata(force_reload=True)
print("metadata", meta["color"], meta["_default_message_ttl"], meta["_max_messages_post_size"])
queue.metadata(new_meta={"shape": "round"})
print("replaced", sorted(k for k in queue.metadata(force_reload=True) if not k.startswith("_")))

queue.post([{"body": {"n": 1}}, {"body": {"n": 2}}, {"body": {"n": 3}}, {"body": {"n": 4}}])
print("ttls", sorted(m.ttl for m in queue.messages(echo=True)))
ids = [m.id for m in queue.messages(echo=True)]
print("by ids", [m.body["n"] for m in queue.messages(*ids[:2])])
print("popped", [m.body["n"] for m in queue.pop(count=1)])

claim = queue.claim(ttl=120, grace=60, limit=2)
claimed = list(claim)
print("claimed", [m.body["n"] for m in claimed])
claim.update(ttl=180)
print("renewed", queue.claim(id=claim.id).ttl)
for message in claimed:
    message.delete()
print("stats", queue.stats["messages"]["total"])

subscription = cli.subscription("cycle", subscriber="http://127.0.0.1:9/hook", ttl=600)
again = cli.subscription("cycle", subscriber="http://127.0.0.1:9/hook", ttl=600)
print("subscription", subscription.id == again.id, [s.subscriber for s in cli.subscriptions("cycle")])
subscription.update({"ttl": 900})
print("updated", cli.subscription("cycle", id=subscription.id).ttl)

grant = queue.signed_url(paths=["messages"], methods=["GET"])
signed = client.Client(url, version=2, conf={"auth_opts": {"backend": "signed-url", "options": {
    "os_project_id": grant["project"], "paths": grant["paths"], "methods": grant["methods"],
    "expires": grant["expires"], "signature": grant["signature"]}}})
print("signed", [m.body["n"] for m in signed.queue("cycle", auto_create=False).messages(echo=True)])

queue.purge()
print("purged", queue.stats["messages"]["total"], list(cli.subscriptions("cycle")))
subscription.delete()
queue.delete()
queues, count = cli.queues(with_count=True)
print("queues", [q.name for q in queues], count)
