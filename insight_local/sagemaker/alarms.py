"""CloudWatch alarms evaluated as CloudWatch would: moto stores alarms and metric data but never
evaluates an alarm, so a deployment's auto-rollback alarms are evaluated here, from the metric
data and each alarm's statistic, period, evaluation periods, datapoints to alarm, threshold,
comparison and missing-data treatment; the state found is set on the alarm (SetAlarmState), so
DescribeAlarms shows it too."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from insight_local.sagemaker.aws import client

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def evaluate(alarm: dict[str, Any], region: str, at: datetime | None = None) -> tuple[str, str]:
    """(state, reason) of one alarm (its DescribeAlarms answer) over its latest periods."""
    if "MetricName" not in alarm or alarm.get("ComparisonOperator") not in COMPARISONS:
        return "INSUFFICIENT_DATA", "the local runtime evaluates single-metric alarms with a static threshold only"
    at = at or datetime.now(UTC)
    period = int(alarm.get("Period") or 60)
    periods = int(alarm.get("EvaluationPeriods") or 1)
    needed = int(alarm.get("DatapointsToAlarm") or periods)
    statistic = alarm.get("Statistic") or "Average"
    answer = client("cloudwatch", region).get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions") or [],
        StartTime=at - timedelta(seconds=period * periods),
        EndTime=at + timedelta(seconds=1),
        Period=period,
        Statistics=[statistic],
    )
    values = [point[statistic] for point in sorted(answer["Datapoints"], key=lambda point: point["Timestamp"])]
    compare = COMPARISONS[alarm["ComparisonOperator"]]
    threshold = float(alarm["Threshold"])
    breaching = [value for value in values if compare(value, threshold)]
    missing = max(0, periods - len(values))
    treat = alarm.get("TreatMissingData") or "missing"
    breaching_count = len(breaching) + missing if treat == "breaching" else len(breaching)
    if breaching_count >= needed:
        shown = ", ".join(f"{value:g}" for value in breaching[-needed:]) or "missing data"
        return "ALARM", (
            f"Threshold Crossed: {breaching_count} datapoint(s) [{shown}] were {alarm['ComparisonOperator']} "
            f"the threshold ({threshold:g}) within the last {periods} period(s) of {period} seconds."
        )
    if not values and treat in ("missing",):
        return "INSUFFICIENT_DATA", "Insufficient Data: no datapoint was received in the evaluation periods."
    return (
        "OK",
        f"Threshold Crossed: no more than {breaching_count} datapoint(s) breached the threshold ({threshold:g}).",
    )


def check(names: list[str], region: str) -> list[tuple[str, str]]:
    """Evaluate the named alarms, set their state, and return those in ALARM with the reason."""
    cloudwatch = client("cloudwatch", region)
    firing = []
    if not names:
        return firing
    for alarm in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]:
        state, reason = evaluate(alarm, region)
        if state != alarm.get("StateValue"):
            cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason[:1023])
        if state == "ALARM":
            firing.append((alarm["AlarmName"], reason))
    return firing
