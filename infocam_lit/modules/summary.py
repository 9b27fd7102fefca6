"""The one readable line a run ends with, per task family (each module's summary_line)."""

from __future__ import annotations


def mi_line(metrics: dict[str, float], loss_name: str | None) -> str:
    """The MI estimate beside its exact value (mixture) or H(Y) (real data), then the accuracy."""
    parts = [f"I(X;Y) estimate {metrics['test/mi']:.3f} ± {metrics['test/mi_se']:.3f} nats"]
    if "test/mi_true" in metrics:
        parts.append(f"exact {metrics['test/mi_true']:.3f}")
    elif "test/label_entropy" in metrics:  # no exact value: the most I(X;Y) can be on this split
        parts.append(f"H(Y) {metrics['test/label_entropy']:.3f}")
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


def digits_line(metrics: dict[str, float]) -> str:
    """Double-digit MNIST: classification, then CAM's and infoCAM's localisation."""
    return (f"mean per-digit accuracy {100 * metrics['test/acc_digit_mean']:.1f}% | exact match "
            f"{100 * metrics['test/exact_match']:.1f}% | macro F1 {100 * metrics['test/macro_f1']:.1f}% | "
            f"localisation: CAM {_held_out(metrics, 'cam', 'loc_acc')}, "
            f"infoCAM {_held_out(metrics, 'infocam', 'loc_acc')}")


def localization_line(metrics: dict[str, float]) -> str:
    """Top-1 classification, then GT-known Loc and MaxBoxAccV2 of CAM, infoCAM and infoCAM+."""
    parts = [f"top-1 {100 * metrics['test/cls_top1']:.1f}%"]
    for name in ("cam", "infocam", "infocam_plus"):
        if f"test/{name}/gt_known_loc" in metrics:
            parts.append(f"{name}: GT-known {_held_out(metrics, name, 'gt_known_loc')}, "
                         f"MaxBoxAccV2 {100 * metrics.get(f'test/{name}/maxboxacc_v2', float('nan')):.1f}%")
    return " | ".join(parts)


def _held_out(metrics: dict[str, float], name: str, measure: str) -> str:
    """'a% (val tau t: b%)': at the fixed threshold, and at the one chosen on the validation split (if any)."""
    text = f"{100 * metrics[f'test/{name}/{measure}']:.1f}%"
    if f"test/{name}/{measure}_val_tau" in metrics:
        text += (f" (val tau {metrics[f'test/{name}/val_tau']:.2f}: "
                 f"{100 * metrics[f'test/{name}/{measure}_val_tau']:.1f}%)")
    return text
