"""The one readable line a run ends with."""

from __future__ import annotations


def summary_line(metrics: dict[str, float], loss_name: str | None) -> str:
    if "test/mi" not in metrics:
        return " | ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()) if k.startswith("test/"))
    parts = [f"I(X;Y) estimate {metrics['test/mi']:.3f} ± {metrics['test/mi_se']:.3f} nats"]
    if "test/mi_true" in metrics:
        parts.append(f"exact {metrics['test/mi_true']:.3f}")
    if "test/mi_mc" in metrics:
        parts.append(f"MC {metrics['test/mi_mc']:.3f}")
    if "test/acc" in metrics:
        # The rule a loss learns: softmax the prior rule, the prior-corrected losses the balanced one.
        rule_key = "test/acc_bayes" if loss_name == "softmax" else "test/acc_bayes_balanced"
        if rule_key in metrics:
            parts.append(f"acc {100 * metrics['test/acc']:.1f}% (Bayes {100 * metrics[rule_key]:.1f}%)")
        else:
            parts.append(f"acc {100 * metrics['test/acc']:.1f}%, per-class {100 * metrics['test/acc_macro']:.1f}%")
    return " | ".join(parts)
