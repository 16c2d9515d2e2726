"""The regression gate: the product pipeline's numbers must stay above the floors in ``thresholds.yaml``.

>>> failures = check_gate(report["summary"]["hybrid"], load_thresholds())
>>> failures   # [] when every floor is met, else one line per metric that fell short
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"


@dataclass(frozen=True)
class Thresholds:
    mode: str = "hybrid"
    k: int = 5
    floors: dict[str, float] = field(default_factory=dict)  # metric >= floor
    ceilings: dict[str, float] = field(default_factory=dict)  # metric <= ceiling


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return Thresholds(
        mode=str(raw.get("mode", "hybrid")),
        k=int(raw.get("k", 5)),
        floors={str(k): float(v) for k, v in (raw.get("floors") or {}).items()},
        ceilings={str(k): float(v) for k, v in (raw.get("ceilings") or {}).items()},
    )


def check_gate(summary: dict[str, Any], thresholds: Thresholds) -> list[str]:
    """One line per metric that misses its floor or ceiling (a metric not measured also fails)."""
    failures = []
    for name, floor in thresholds.floors.items():
        value = summary.get(name)
        if value is None:
            failures.append(f"{name}: not measured (floor {floor:.3f})")
        elif value < floor:
            failures.append(f"{name}: {value:.3f} is below the floor {floor:.3f}")
    for name, ceiling in thresholds.ceilings.items():
        value = summary.get(name)
        if value is None:
            failures.append(f"{name}: not measured (ceiling {ceiling:.3f})")
        elif value > ceiling:
            failures.append(f"{name}: {value:.3f} is above the ceiling {ceiling:.3f}")
    return failures
