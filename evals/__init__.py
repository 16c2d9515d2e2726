"""The evaluation harness: the gold set run through the assistant, metrics, reports and the regression gate.

    cstassist eval                 # all three modes, table + evals/reports/latest.{json,html}
    cstassist eval --gate          # exit 1 when the product pipeline falls below evals/thresholds.yaml

See evals/README.md for the metrics' definitions and how the abstention threshold was chosen.
"""

from .abstention import format_sweep, sweep
from .beir import evaluate_beir, format_beir
from .compare import compare, format_comparison
from .feedback_cases import drafts_from_feedback, write_drafts
from .gate import Thresholds, check_gate, load_thresholds
from .gold import DEFAULT_GOLD, GoldError, GoldItem, Target, load_gold
from .harness import MODES, EvalOptions, evaluate, open_assistant
from .report import REPORT_NAME, format_table, render_html, report_order, write_reports

__all__ = [
    "DEFAULT_GOLD",
    "MODES",
    "EvalOptions",
    "GoldError",
    "GoldItem",
    "Target",
    "Thresholds",
    "check_gate",
    "compare",
    "drafts_from_feedback",
    "evaluate",
    "evaluate_beir",
    "format_beir",
    "format_comparison",
    "format_sweep",
    "format_table",
    "load_gold",
    "load_thresholds",
    "open_assistant",
    "render_html",
    "sweep",
    "write_drafts",
    "REPORT_NAME",
    "report_order",
    "write_reports",
]
