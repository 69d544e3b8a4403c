"""Apache Kafka from Maven Central on loopback: 1 or 3 combined broker+controller KRaft nodes, data on disk.

The embedded Tansu broker keeps everything in memory, applies no retention and forgets its topics on restart;
this is the real thing for trying the product and for the Kafka tier of the tests, without Docker. Maven
resolves `org.apache.kafka:kafka_2.13` and its runtime dependencies once into a cache; the nodes run
`kafka.Kafka` on that classpath with a bounded heap each.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kafka.admin import KafkaAdminClient

from streams.kafka.broker import BrokerError, free_port

logger = logging.getLogger(__name__)

KAFKA_VERSION = "4.0.0"
SCALA_VERSION = "2.13"
SLF4J_SIMPLE = "1.7.36"  # the slf4j-api Kafka 4.0 links against; logs to the node's stderr file
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sentinel"
DEFAULT_HEAP = "512m"
MESSAGE_MAX_BYTES = 17 * 1024 * 1024  # the service's 16 MB record limit plus batch overhead

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>community-sentinel</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_{scala}</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId>
      <version>{slf4j}</version></dependency>
  </dependencies>
</project>
"""


def resolve_kafka(version: str = KAFKA_VERSION, cache: Path = DEFAULT_CACHE, mvn: str = "mvn") -> Path:
    """The directory of Kafka's runtime jars, resolved with Maven on first use and reused afterwards."""
    libs = cache / f"kafka-{version}" / "libs"
    done = libs / ".complete"
    if done.exists():
        return libs
    if shutil.which(mvn) is None:
        raise BrokerError(f"{mvn} not found: Maven resolves Kafka from Maven Central (apt-get install maven)")
    work = libs.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM.format(scala=SCALA_VERSION, version=version, slf4j=SLF4J_SIMPLE))
    logger.info("resolving Kafka %s with Maven into %s", version, libs)
    command = [
        mvn, "-q", "-B", "-f", str(work / "pom.xml"), "dependency:copy-dependencies",
        f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"Maven could not resolve Kafka {version}: {(result.stdout + result.stderr)[-1500:]}")
    done.write_text(version + "\n")
    return libs


@dataclass(frozen=True)
class Node:
    """One combined broker+controller: its id, ports and directory (data, config, log)."""

    node_id: int
    port: int
    controller_port: int
    directory: Path
    proxied_port: int | None = None  # a second client listener, reached only through a proxy on proxy_port
    proxy_port: int | None = None  # what that listener advertises: clients bootstrapped there stay behind it

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def proxy_address(self) -> str | None:
        return f"127.0.0.1:{self.proxy_port}" if self.proxy_port else None

    @property
    def config_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.directory / "node.log"


def node_properties(node: Node, nodes: list[Node], overrides: dict[str, str]) -> dict[str, str]:
    """Settings of one node. Replication and min ISR follow the cluster size: 3 nodes give RF 3, min ISR 2."""
    size = len(nodes)
    replication = str(min(3, size))
    min_isr = str(2 if size >= 3 else 1)
    listeners = f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
    advertised = f"PLAINTEXT://127.0.0.1:{node.port}"
    protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    if node.proxied_port and node.proxy_port:
        # A broker answers metadata with the advertised address of the listener the request came in on, so a
        # client bootstrapped on the proxy ports only ever connects through the proxy.
        listeners += f",PROXIED://127.0.0.1:{node.proxied_port}"
        advertised += f",PROXIED://{node.proxy_address}"
        protocols += ",PROXIED:PLAINTEXT"
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in nodes),
        "listeners": listeners,
        "advertised.listeners": advertised,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": protocols,
        "log.dirs": str(node.directory / "data"),
        "default.replication.factor": replication,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replication,
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": min_isr,
        "unclean.leader.election.enable": "false",
        "message.max.bytes": str(MESSAGE_MAX_BYTES),
        "replica.fetch.max.bytes": str(MESSAGE_MAX_BYTES),
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "background.threads": "2",
        "log.cleaner.threads": "1",
        "log.retention.check.interval.ms": "60000",
    }
    props.update(overrides)
    return props


class KafkaCluster:
    """1 or 3 KRaft nodes on free loopback ports under `directory`; ports and data survive stop/start."""

    def __init__(
        self,
        directory: Path,
        nodes: int = 1,
        heap: str = DEFAULT_HEAP,
        version: str = KAFKA_VERSION,
        cache: Path = DEFAULT_CACHE,
        overrides: dict[str, str] | None = None,
        proxied: bool = False,
    ) -> None:
        """`proxied` gives each node a second listener advertised on a proxy port (`proxy_routes`): a client
        bootstrapped on `proxied_bootstrap` talks to the brokers only through whatever forwards those ports."""
        if nodes not in (1, 3):
            raise ValueError("a cluster here has 1 or 3 nodes (a controller quorum needs an odd count)")
        self.directory = directory
        self.heap = heap
        self.version = version
        self.cache = cache
        self.overrides = overrides or {}
        self.nodes = _load_nodes(directory, nodes, proxied)
        self._procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    @property
    def proxied_bootstrap(self) -> str:
        """The proxy addresses, for a client that must reach the brokers only through the proxy."""
        if not all(n.proxy_address for n in self.nodes):
            raise BrokerError("this cluster was made without proxied listeners")
        return ",".join(str(n.proxy_address) for n in self.nodes)

    @property
    def proxy_routes(self) -> list[tuple[int, int]]:
        """(proxy port, the node's proxied listener port) for each node: what a proxy has to forward."""
        return [(n.proxy_port, n.proxied_port) for n in self.nodes if n.proxy_port and n.proxied_port]

    def _java(self, main_class: str, *args: str, heap: str) -> list[str]:
        libs = resolve_kafka(self.version, self.cache)
        return [
            "java", f"-Xmx{heap}", f"-Xms{min(heap, '128m', key=_heap_bytes)}", "-XX:+UseG1GC",
            "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", str(libs / "*"), main_class, *args,
        ]  # fmt: skip

    def format(self) -> None:
        """Writes each node's config and formats its storage once (a formatted node keeps its data)."""
        cluster_id_file = self.directory / "cluster.id"
        self.directory.mkdir(parents=True, exist_ok=True)
        if not cluster_id_file.exists():
            cluster_id_file.write_text(_cluster_id())
        cluster_id = cluster_id_file.read_text().strip()
        ports = {n.node_id: _ports(n) for n in self.nodes}
        (self.directory / "nodes.json").write_text(json.dumps(ports))  # the same addresses after a restart
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            props = node_properties(node, self.nodes, self.overrides)
            node.config_path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
            if (node.directory / "data" / "meta.properties").exists():
                continue
            command = self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                f"--config={node.config_path}",
                heap="256m",
            )
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise BrokerError(f"formatting node {node.node_id} failed: {(result.stdout + result.stderr)[-1500:]}")

    def start(self, timeout_s: float = 120.0) -> KafkaCluster:
        self.format()
        for node in self.nodes:
            self.start_node(node.node_id, wait=False)
        self.wait_ready(timeout_s)
        logger.info("Kafka %s: %d node(s) at %s", self.version, len(self.nodes), self.bootstrap)
        return self

    def start_node(self, node_id: int, wait: bool = True, timeout_s: float = 120.0) -> None:
        node = self.nodes[node_id - 1]
        if node_id in self._procs and self._procs[node_id].poll() is None:
            return
        with node.log_path.open("ab") as log:  # the child keeps its own descriptor
            self._procs[node_id] = subprocess.Popen(
                self._java("kafka.Kafka", str(node.config_path), heap=self.heap),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal stops the service, not the brokers under it
            )
        if wait:
            self._wait_listening([node], timeout_s)

    def ensure_running(self, timeout_s: float = 120.0) -> None:
        """Starts any node that is not running (after a kill or a stop) and waits for the whole cluster."""
        for node in self.nodes:
            if node.node_id not in self._alive():
                self.start_node(node.node_id, wait=False)
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        self._wait_listening([n for n in self.nodes if n.node_id in self._procs], timeout_s)
        if len(self.nodes) > 1:
            _wait_for_brokers(self.bootstrap, len(self._alive()), timeout_s)

    def _wait_listening(self, nodes: list[Node], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(nodes)
        while waiting:
            node = waiting[0]
            proc = self._procs[node.node_id]
            if proc.poll() is not None:
                raise BrokerError(f"Kafka node {node.node_id} exited with {proc.returncode}: {_tail(node.log_path)}")
            try:
                with socket.create_connection(("127.0.0.1", node.port), timeout=0.5):
                    waiting.pop(0)
                    continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrokerError(f"Kafka node {node.node_id} did not listen within {timeout_s:.0f} s")
            time.sleep(0.2)

    def _alive(self) -> list[int]:
        return [i for i, p in self._procs.items() if p.poll() is None]

    def pids(self) -> list[int]:
        """Process ids of the running nodes (for measuring their memory)."""
        return [p.pid for p in self._procs.values() if p.poll() is None]

    def kill_node(self, node_id: int) -> None:
        """SIGKILL, as a crashed machine would: no controlled shutdown, no leadership handed over."""
        proc = self._procs.get(node_id)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop_node(self, node_id: int, timeout_s: float = 60.0) -> None:
        """SIGTERM: a controlled shutdown that moves leadership away first."""
        proc = self._procs.get(node_id)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            logger.warning("Kafka node %d did not stop within %.0f s; killing it", node_id, timeout_s)
            proc.kill()
            proc.wait()

    def stop(self, timeout_s: float = 60.0) -> None:
        """SIGTERM to every node at once: one at a time, the last ones wait for a controller quorum that is gone."""
        alive = [self._procs[i] for i in self._alive()]
        for proc in alive:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in alive:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("Kafka pid %d did not stop within %.0f s; killing it", proc.pid, timeout_s)
                proc.kill()
                proc.wait()

    def write_pids(self) -> None:
        """The running nodes' pids, for `sentinel kafka stop` from another process."""
        pids = {str(i): p.pid for i, p in self._procs.items() if p.poll() is None}
        (self.directory / "pids.json").write_text(json.dumps(pids))

    @staticmethod
    def stop_detached(directory: Path, timeout_s: float = 60.0) -> int:
        """Stops the nodes a `sentinel kafka start` left running under `directory`; returns how many it stopped."""
        pid_file = directory / "pids.json"
        if not pid_file.exists():
            return 0
        pids = [int(pid) for pid in json.loads(pid_file.read_text()).values()]
        running = [pid for pid in pids if _signal(pid, signal.SIGTERM)]
        deadline = time.monotonic() + timeout_s
        while any(_signal(pid, 0) for pid in running) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in running:
            if _signal(pid, signal.SIGKILL):
                logger.warning("Kafka pid %d did not stop within %.0f s; killed it", pid, timeout_s)
        pid_file.unlink()
        return len(running)

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _load_nodes(directory: Path, count: int, proxied: bool = False) -> list[Node]:
    """The nodes of an existing cluster directory keep their ports; a new one gets free ports."""
    saved = directory / "nodes.json"
    ports: dict[str, list[int]] = json.loads(saved.read_text()) if saved.exists() else {}
    if ports and len(ports) != count:
        raise BrokerError(f"{directory} holds a {len(ports)}-node cluster, not {count}")
    nodes = []
    for node_id in range(1, count + 1):
        port, controller_port, *extra = ports.get(str(node_id)) or (free_port(), free_port())
        if proxied and not extra:
            extra = [free_port(), free_port()]
        nodes.append(Node(node_id, port, controller_port, directory / f"node-{node_id}", *extra))
    return nodes


def _ports(node: Node) -> list[int]:
    extra = [node.proxied_port, node.proxy_port] if node.proxied_port and node.proxy_port else []
    return [node.port, node.controller_port, *extra]


def _signal(pid: int, sig: int) -> bool:
    """Whether the process existed to receive it (signal 0 only checks)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def _heap_bytes(size: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(size[:-1]) * units[size[-1].lower()] if size[-1].lower() in units else int(size)


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what `kafka-storage random-uuid` gives)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _wait_for_brokers(bootstrap: str, count: int, timeout_s: float) -> None:
    """Until the cluster metadata lists `count` brokers: topics with RF 3 cannot be created before that."""
    deadline = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            try:
                seen = len(admin.describe_cluster()["brokers"])
            finally:
                admin.close()
            if seen >= count:
                return
        except Exception as exc:  # kafka-python raises NoBrokersAvailable and timeouts alike while nodes start
            logger.debug("cluster not ready yet: %s", exc)
        time.sleep(0.5)
    raise BrokerError(f"only {seen} of {count} Kafka brokers registered within {timeout_s:.0f} s")


def _tail(path: Path, chars: int = 1500) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""
