"""A stand-in for a LAVA server's XML-RPC API, the calls lavacli makes for
./run_tests.sh --lava URL, replaying a job that lava-run really ran here:
its log comes out a few lines per poll while the job is `Running`, and its
results in the server's export format (the logged result as metadata).

Real servers: lava_scheduler_app/api and lava_results_app/api in Debian's
lava-server; a bad token is an HTTP 401 before any method runs."""
import base64
import threading
import xmlrpc.server

import yaml


class Handler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def do_POST(self):
        server = self.server.lava
        sent = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(f"{server.user}:{server.token}".encode()).decode()
        if sent != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="XML-RPC Authentication token"')
            self.end_headers()
            self.wfile.write(b"Invalid token")
            return
        super().do_POST()

    def log_message(self, *args):
        pass


class FakeLava:
    """`log`: the job's log entries; `finishes`: False keeps the job running
    forever (a job that times out); `per_poll`: log lines a logs call gives."""

    def __init__(self, log, user="ci", token="s3cret-token", finishes=True, per_poll=60):
        self.log, self.user, self.token = log, user, token
        self.finishes, self.per_poll = finishes, max(per_poll, len(log) // 8)
        self.submitted, self.cancelled, self.served = [], [], 0
        self.server = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), Handler, allow_none=True,
                                                       logRequests=False)
        self.server.lava = self
        for name, fn in {"system.version": lambda: "2023.01",
                         "system.whoami": lambda: self.user,
                         "scheduler.jobs.submit": self.submit,
                         "scheduler.jobs.show": self.show,
                         "scheduler.jobs.logs": self.logs,
                         "scheduler.jobs.cancel": self.cancel,
                         "results.get_testjob_results_yaml": self.results}.items():
            self.server.register_function(fn, name)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}/RPC2"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def submit(self, definition):
        self.submitted.append(yaml.safe_load(definition))
        return 4200 + len(self.submitted)

    def finished(self):
        return self.finishes and self.served >= len(self.log) or bool(self.cancelled)

    def show(self, job_id):
        job = self.log_results()
        failed = any(r["case"] == "job" and r["result"] == "fail" for r in job)
        state = "Finished" if self.finished() else ("Running" if self.served else "Submitted")
        health = ("Canceled" if self.cancelled else "Incomplete" if failed else "Complete") \
            if state == "Finished" else "Unknown"
        return {"id": job_id, "description": "sockreuse", "device_type": "qemu",
                "state": state, "health": health, "failure_comment": None,
                "submit_time": None, "start_time": None, "end_time": None}

    def logs(self, job_id, start=0, end=None):
        if start >= self.served:
            self.served = min(len(self.log), self.served + self.per_poll)
            if not self.finishes:
                self.served = min(self.served, len(self.log) // 2)
        lines = self.log[start:self.served if end is None else min(end, self.served)]
        return self.finished(), yaml.safe_dump(lines)

    def cancel(self, job_id):
        self.cancelled.append(str(job_id))
        return True

    def log_results(self):
        return [e["msg"] for e in self.log[:self.served] if e["lvl"] == "results"]

    def results(self, job_id):
        return yaml.safe_dump([
            {"name": r["case"], "job": str(job_id), "suite": r["definition"], "result": r["result"],
             "measurement": "None", "unit": "", "level": r.get("level", ""), "logged": "",
             "id": str(i), "url": "", "log_start_line": "", "log_end_line": "", "metadata": r}
            for i, r in enumerate(self.log_results())])
