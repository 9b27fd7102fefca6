"""The one line a run ends with."""

from infocam_lit.modules.summary import mi_line


def test_mnist_line_shows_the_split_entropy_and_the_mixture_line_its_exact_value():
    mnist = {"test/mi": 2.2718, "test/mi_se": 0.0026, "test/label_entropy": 2.3008, "test/acc": 0.9898,
             "test/acc_macro": 0.9897}
    assert mi_line(mnist, "pc_softmax") == (
        "I(X;Y) estimate 2.272 ± 0.003 nats | H(Y) 2.301 | acc 99.0%, per-class 99.0%")
    mixture = {"test/mi": 1.4424, "test/mi_se": 0.0043, "test/mi_true": 1.4449, "test/mi_mc": 1.4447,
               "test/label_entropy": 1.4898, "test/acc": 0.9814, "test/acc_bayes_balanced": 0.982}
    assert mi_line(mixture, "pc_softmax") == (
        "I(X;Y) estimate 1.442 ± 0.004 nats | exact 1.445 | MC 1.445 | acc 98.1% (Bayes 98.2%)")
