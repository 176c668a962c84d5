"""Incremental mode on a logical-replication subscriber (a tester's finding): the ledger's ids
come from the publisher, whose transactions commit out of order where no wait on the subscriber
can see them. An entry taken before the bound and applied after it was never summed: every
incremental run said synced while a full run found the drift. A ledger table a subscription
fills now runs in full, and the summary says why. A real publisher and subscriber: two databases
of one throwaway cluster with wal_level = logical, through SQL from plain connections."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from migrator.cluster import SUPERUSER, ThrowawayCluster

from conftest import run_cli

DDL = ("CREATE TABLE wallet (id text PRIMARY KEY, balance numeric NOT NULL)",
       "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
       " wallet_id text NOT NULL, amount numeric NOT NULL)")


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    c = ThrowawayCluster({"wal_level": "logical", "max_replication_slots": "4",
                          "max_wal_senders": "4"})
    c.start()
    try:
        yield c
    finally:
        c.stop()


def dsn(c: ThrowawayCluster, db: str) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{c.port}/{db}"


def wait_for(sub: psycopg.Connection, n: int) -> None:
    deadline = time.monotonic() + 60
    while sub.execute("SELECT count(*) FROM entry").fetchone()[0] < n:
        assert time.monotonic() < deadline, "the subscriber did not catch up"
        time.sleep(0.05)


def test_a_subscribed_ledger_runs_in_full_and_finds_what_arrives_below_the_bound(
        cluster: ThrowawayCluster) -> None:
    with psycopg.connect(dsn(cluster, "postgres"), autocommit=True) as c:
        c.execute("CREATE DATABASE pub")
        c.execute("CREATE DATABASE sub")
    pub_dsn, sub_dsn = dsn(cluster, "pub"), dsn(cluster, "sub")
    assert run_cli("install", "--database", sub_dsn).returncode == 0
    with psycopg.connect(pub_dsn, autocommit=True) as pub, \
            psycopg.connect(sub_dsn, autocommit=True) as sub:
        for stmt in DDL:
            pub.execute(stmt)
            sub.execute(stmt)
        pub.execute("INSERT INTO wallet VALUES ('a', 10), ('b', 0)")
        pub.execute("INSERT INTO entry (wallet_id, amount) VALUES ('a', 10)")
        pub.execute("CREATE PUBLICATION books FOR TABLE wallet, entry")
        # one cluster: the slot is made beforehand (CREATE SUBSCRIPTION would wait on itself)
        pub.execute("SELECT pg_create_logical_replication_slot('books', 'pgoutput')")
        sub.execute(f"CREATE SUBSCRIPTION books CONNECTION 'host=127.0.0.1 port={cluster.port}"
                    f" user={SUPERUSER} dbname=pub' PUBLICATION books"
                    " WITH (create_slot = false, slot_name = 'books')")
        wait_for(sub, 1)
        sub.execute("SELECT recon.register_wallet_source('w', 'wallet', 'id', ARRAY['balance'])")
        sub.execute("SELECT recon.register_ledger_source('l', 'w', 'entry', 'wallet_id',"
                    " 'amount', '{\"order_by\": \"id\"}')")
        sub.execute("SELECT recon.register_check('b', 'balance', '{\"ledger\": \"l\"}')")

        def incremental() -> dict:
            return sub.execute("SELECT recon.reconcile(NULL, 'incremental')").fetchone()[0]

        incremental()
        # publisher: A takes id 2 (an entry of b that moves no balance: drift) and commits
        # after B, which takes id 3 (a correct posting of a)
        with psycopg.connect(pub_dsn) as a:
            a.execute("INSERT INTO entry (wallet_id, amount) VALUES ('b', 7)")
            with pub.transaction():
                pub.execute("INSERT INTO entry (wallet_id, amount) VALUES ('a', 5)")
                pub.execute("UPDATE wallet SET balance = balance + 5 WHERE id = 'a'")
            wait_for(sub, 2)
            summary = incremental()  # the bound passes id 3; id 2 is still to come
            assert summary["runs"]["b"]["mode"] == "full"
            assert summary["runs"]["b"]["why_full"].startswith(
                "the ledger table public.entry is filled by a logical-replication subscription")
        wait_for(sub, 3)
        summary = incremental()
        assert summary["runs"]["b"]["mode"] == "full"
        assert [tuple(r) for r in sub.execute(
            "SELECT wallet_key, difference FROM recon.open_findings")] == [("b", -7)]
        sub.execute("ALTER SUBSCRIPTION books DISABLE")
        sub.execute("ALTER SUBSCRIPTION books SET (slot_name = NONE)")
        sub.execute("DROP SUBSCRIPTION books")
        pub.execute("SELECT pg_drop_replication_slot('books')")
