"""A Spark standalone cluster on loopback for tests and the bench: one master and two
workers (one core each), started from the Spark that the pyspark package bundles, and
stopped again. Nothing listens beyond 127.0.0.1.

    with LocalCluster(workdir) as master_url:
        subprocess.run(["spark-submit", "--master", master_url, ...])
"""

import os
import pathlib
import socket
import subprocess
import time
import urllib.request


def spark_home():
    import pyspark

    return os.path.dirname(pyspark.__file__)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    def __init__(self, workdir, workers=2, cores=1, memory="2g"):
        self.workdir = pathlib.Path(workdir)
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.procs = []
        self.logs = []

    def _start(self, name, args):
        log = open(self.workdir / f"{name}.log", "wb")
        self.logs.append(log)
        env = dict(os.environ, SPARK_HOME=spark_home(), SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_LOCAL_DIRS=str(self.workdir / "local"))
        p = subprocess.Popen(
            [os.path.join(spark_home(), "bin", "spark-class"), *args],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        self.procs.append(p)

    def __enter__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        port, ui = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{port}"
        self._start("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(port), "--webui-port", str(ui)])
        for i in range(self.workers):
            self._start(f"worker-{i}", [
                "org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                "--cores", str(self.cores), "--memory", self.memory,
                "--webui-port", str(free_port()),
                "--work-dir", str(self.workdir / f"work-{i}"),
            ])
        # Ready when the master's status page lists every worker alive.
        deadline = time.time() + 120
        while time.time() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"a Spark daemon exited; see {self.workdir}/*.log")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                    import json

                    status = json.load(r)
                    alive = [w for w in status.get("workers", []) if w.get("state") == "ALIVE"]
                    if len(alive) >= self.workers:
                        return self.url
            except OSError:
                pass
            time.sleep(1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the Spark cluster did not come up; see {self.workdir}/*.log")

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 15)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
        self.procs = []
        for log in self.logs:
            log.close()
        self.logs = []
        return False
