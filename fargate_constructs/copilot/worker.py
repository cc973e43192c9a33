"""Worker Services: the queue, its subscriptions and dead-letter handling, and scaling on the
backlog."""

from __future__ import annotations

from .mapper import Code, Mapper, count_range, duration, seconds_of


def map_worker(m: Mapper) -> None:
    subscribe = m.get("subscribe")
    if isinstance(subscribe, dict):
        for topic in subscribe.get("topics") or []:
            if isinstance(topic, dict) and "name" in topic and "service" in topic:
                policy = topic.get("filter_policy")
                m.plan.subscribes.append((str(topic["service"]), str(topic["name"]), policy))
                m.rest(
                    ("subscribe", "topics"),
                    topic,
                    ("name", "service", "filter_policy"),
                    "one queue for all topics",
                    "a queue per topic is not built; the worker reads one",
                )
        queue = subscribe.get("queue")
        if isinstance(queue, dict):
            if "timeout" in queue:
                m.plan.service["visibility_timeout"] = duration(
                    queue["timeout"], ("subscribe", "queue", "timeout"), m
                )
            if "retention" in queue:
                m.plan.service["retention_period"] = duration(
                    queue["retention"], ("subscribe", "queue", "retention"), m
                )
            tries = (queue.get("dead_letter") or {}).get("tries")
            if isinstance(tries, int):
                m.plan.service["max_receive_count"] = tries
            m.rest(
                ("subscribe", "queue"),
                queue,
                ("timeout", "retention", "dead_letter"),
                "not mapped",
                "set it on worker.queue's CfnQueue",
            )
    count = m.get("count")
    low, high = 0, 10
    backlog = 10
    if isinstance(count, int):
        low, high = count, max(count, 1)
    elif isinstance(count, dict):
        if "range" in count:
            low, high, _ = count_range(count["range"], m)
        delay = count.get("queue_delay")
        if isinstance(delay, dict):
            latency = seconds_of(delay.get("acceptable_latency", "10m"), m)
            per_message = seconds_of(delay.get("msg_processing_time", "250ms"), m)
            backlog = max(int(latency / max(per_message, 0.001)), 1)
        m.rest(
            ("count",),
            count,
            ("range", "queue_delay"),
            "backlog-per-task scaling",
            "queue workers scale on backlog per task here",
        )
    m.plan.service["scaling"] = Code(
        f"AutoScaling(min_capacity={low}, max_capacity={high}, "
        f"backlog_tracking=BacklogTracking(backlog_per_task={backlog}))"
    )
    m.plan.names.update({"AutoScaling", "BacklogTracking"})
    if isinstance(count, int) and count > 0:
        m.note(
            ("count",),
            f"AutoScaling(min_capacity={low}, max_capacity={high})",
            "Copilot ran a fixed count, kept as the bounds; raise max_capacity to let the "
            "worker scale on its queue",
        )
