"""One app process pledging as fast as it can, for tests/functional/test_two_processes.py.

`python -m tests.functional.pledge_process` reads one JSON line on stdin — {"database_uri", "instance",
"tokens": [one per thread], "plan": [[package_id, amount], ...]} — builds its own app on that database,
prints "ready", waits for "go", then its threads POST the plan's pledges through the API (each thread
with its own token, taking the next line of the plan) and it prints one JSON line: every answer and the
wall-clock window it pledged in.
"""
import json
import sys
import threading
import time
import uuid


def main():
    """Build the app, wait for the go, pledge, report."""
    from app import create_app
    from config import TestingConfig

    task = json.loads(sys.stdin.readline())
    config = TestingConfig(instance_path=task["instance"])
    config.SQLALCHEMY_DATABASE_URI = task["database_uri"]
    app = create_app(config)
    assert app.test_client().get("/healthz").status_code == 200  # imported and warmed up before the start
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")
    plan = list(enumerate(task["plan"]))
    lock = threading.Lock()
    answers = []

    def pledge(token):
        client = app.test_client()
        while True:
            with lock:
                if not plan:
                    return
                index, (package_id, amount) = plan.pop(0)
            response = client.post(f"/api/v1/packages/{package_id}/pledges", json={"amount": amount},
                                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
            body = response.get_json(silent=True) or {}
            with lock:
                answers.append({"index": index, "package_id": package_id, "amount": amount,
                                "status": response.status_code, "pledge_id": body.get("id")})

    started = time.time()
    threads = [threading.Thread(target=pledge, args=(token,)) for token in task["tokens"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"answers": answers, "started": started, "finished": time.time()}), flush=True)


if __name__ == "__main__":
    main()
