"""`sentinel deadletters ...`: inspect the dead-letter topic and send records back once their cause is fixed.

Re-driving is idempotent: each dead letter is re-sent at most once (remembered in Redis by its position).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.app import MAX_RECORD_BYTES
from streams.config import SiteConfig, load_config
from streams.kafka.producer import delivery_options
from streams.kafka.security import aiokafka_options
from streams.records import DeadLetter, RecordError, decode_model
from streams.runtime import check_redis, make_store
from streams.topics import TopicNames


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    record: DeadLetter

    @property
    def position(self) -> str:
        return f"{self.partition}@{self.offset}"


def _bootstrap(config: SiteConfig) -> str:
    if not config.kafka.bootstrap_servers:
        raise click.ClickException(
            "no kafka.bootstrap_servers configured: dead letters live on the cluster's topic "
            "(the embedded broker keeps them only while its process runs)"
        )
    return config.kafka.bootstrap_servers


async def read_letters(
    bootstrap: str, topic: str, stall_timeout_s: float = 15.0, options: dict[str, Any] | None = None
) -> list[Letter]:
    """Every dead letter on the topic up to its current end; unreadable entries are reported, not fatal."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=MAX_RECORD_BYTES,
        **(options or {}),
    )
    await consumer.start()
    try:
        # consumer.topics() leaves partitions_for_topic() empty on Apache Kafka 4: read the full metadata instead
        metadata = await consumer._client.fetch_all_metadata()  # noqa: SLF001
        partitions = [TopicPartition(topic, p) for p in sorted(metadata.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        # Explicit offsets: seek_to_beginning() races the consumer's own reset of new assignments, and a read
        # could start at the end and find nothing.
        for tp, offset in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, offset)
        letters: list[Letter] = []
        last_progress = time.monotonic()
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() - last_progress > stall_timeout_s:
                click.echo(f"stopped reading {topic}: no records for {stall_timeout_s:.0f} s before its end", err=True)
                break
            batches = await consumer.getmany(timeout_ms=500)
            if batches:
                last_progress = time.monotonic()
            for tp, messages in batches.items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        continue
                    try:
                        letters.append(Letter(tp.partition, message.offset, decode_model(message.value, DeadLetter)))
                    except RecordError as exc:
                        click.echo(f"{tp.partition}@{message.offset}: not a dead letter ({exc})", err=True)
        return letters
    finally:
        await consumer.stop()


def _select(letters: list[Letter], stage: str | None, reason: str | None) -> list[Letter]:
    return [
        letter
        for letter in letters
        if (stage is None or letter.record.stage == stage) and (reason is None or reason in letter.record.reason)
    ]


@click.group("deadletters")
def deadletters_group() -> None:
    """Inspect and re-drive records that a stage could not process."""


config_option = click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
stage_option = click.option("--stage", type=click.Choice(["detect", "rules", "deliver"]), help="Only this stage's.")
reason_option = click.option("--reason-contains", "reason", help="Only letters whose reason contains this text.")


@deadletters_group.command("list")
@config_option
@stage_option
@reason_option
@click.option("--json", "as_json", is_flag=True, help="One dead-letter JSON per line.")
def list_letters(config_path: Path | None, stage: str | None, reason: str | None, as_json: bool) -> None:
    """Print the dead letters, oldest first."""
    config = load_config(config_path)
    topics = TopicNames(config.kafka.topic_prefix)
    letters = _select(
        asyncio.run(read_letters(_bootstrap(config), topics.deadletter, options=aiokafka_options(config.kafka))),
        stage,
        reason,
    )
    for letter in letters:
        record = letter.record
        if as_json:
            click.echo(json.dumps({"position": letter.position, **record.model_dump()}))
            continue
        when = datetime.fromtimestamp(record.at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{letter.position:>8} {when} {record.stage:8} {record.topic}/{record.partition}@{record.offset} "
            f"key={record.key} {len(record.value())} B: {record.reason}"
        )
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@deadletters_group.command()
@config_option
@stage_option
@reason_option
@click.option("--dry-run", is_flag=True, help="Say what would be re-sent, send nothing.")
def redrive(config_path: Path | None, stage: str | None, reason: str | None, dry_run: bool) -> None:
    """Send the selected dead letters back to the topic they came from, each at most once."""
    config = load_config(config_path)
    bootstrap = _bootstrap(config)
    topics = TopicNames(config.kafka.topic_prefix)

    async def run() -> tuple[int, int]:
        letters = _select(
            await read_letters(bootstrap, topics.deadletter, options=aiokafka_options(config.kafka)), stage, reason
        )
        store = make_store(config)
        await check_redis(store, config.redis.redacted_url)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            max_request_size=MAX_RECORD_BYTES,
            **delivery_options(config.kafka),
            **aiokafka_options(config.kafka),
        )
        await producer.start()
        sent = skipped = 0
        try:
            done_key = store.key("deadletter", "redriven", topics.deadletter)
            for letter in letters:
                if await store.redis.sismember(done_key, letter.position):
                    skipped += 1
                    continue
                click.echo(f"{'would re-send' if dry_run else 're-send'} {letter.position} -> {letter.record.topic}")
                if dry_run:
                    continue
                key = letter.record.key.encode() if letter.record.key else None
                await producer.send_and_wait(letter.record.topic, value=letter.record.value(), key=key)
                await store.redis.sadd(done_key, letter.position)
                sent += 1
        finally:
            await producer.stop()
            await store.redis.aclose()
        return sent, skipped

    sent, skipped = asyncio.run(run())
    click.echo(f"{sent} re-driven, {skipped} already re-driven before", err=True)
