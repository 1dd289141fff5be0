#!/usr/bin/env python3
"""Parses Prometheus text exposition format on stdin with prometheus_client's own parser
(python3-prometheus-client) and prints one line per sample: the sample's name, its labels
sorted as name=value joined by commas, and its value as an integer when it is one. A text
the parser refuses makes it exit with 1."""

import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                value = sample.value
                if value == int(value):
                    value = int(value)
                print(f"{family.type} {sample.name} {labels} {value}")
    except Exception as err:  # the parser raises ValueError and others on bad input
        print(f"parse error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
