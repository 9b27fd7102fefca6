"""Structured config schemas, registered in Hydra's ConfigStore, and the range checks
that a schema cannot express.

Each YAML file of a group starts from one of these schemas (its defaults list
names `/schema/<group>/<name>@_here_`), so a wrong type or an unknown key fails at
composition with OmegaConf's message naming the key. Every default has one source:
a value all options of a group share lives here; a value that differs by option
(`???` here) lives in each option's YAML file; constructors take no defaults
(tests/test_config_defaults.py checks all three). Ranges and cross-field
rules live in each dataclass's `__post_init__`, which runs in `validate_config`
(OmegaConf.to_object builds the dataclasses) before any work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field, is_dataclass
from enum import Enum
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from pytorch_lightning.loggers import WandbLogger

from infocam_lit.data import cub, tiny_imagenet
from infocam_lit.maths.losses import LossName
from infocam_lit.run.run_key import register_resolvers


class ConfigError(ValueError):
    """A config value is out of its valid range; the message names the key."""


def _require(condition: bool, key: str, rule: str, value) -> None:
    if not condition:
        raise ConfigError(f"{key} must be {rule}, got {value!r}")


def require_known(key: str, values, valid: tuple[str, ...]) -> None:
    """Every one of `values` is in `valid`; else a ConfigError naming the key and the valid ones."""
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise ConfigError(f"{key}: {', '.join(map(str, unknown))} unknown; valid: {', '.join(valid)}")


class RegionMode(str, Enum):
    same = "same"
    legacy = "legacy"


class PlusMode(str, Enum):
    paper = "paper"
    legacy = "legacy"


class Upsample(str, Enum):
    bicubic = "bicubic"
    bilinear = "bilinear"
    nearest = "nearest"


class EvalTransform(str, Enum):
    wsolevaluation = "wsolevaluation"  # resize straight to the crop size
    legacy = "legacy"  # resize, then centre crop (the authors')


class EvalSplit(str, Enum):
    test = "test"  # the half of the official test split left after the validation half (paper §6.1)
    official_test = "official_test"  # all of it (5,794 images), as wsolevaluation's test split


class BoxConvention(str, Enum):
    infocam_lit = "infocam_lit"  # SPEC §4.2: inclusive boxes, float thresholds, components
    wsolevaluation = "wsolevaluation"  # clovaai/wsolevaluation's MaxBoxAccV2 exactly (needs OpenCV)


class ADLPositions(str, Enum):
    paper = "paper"
    wsolevaluation = "wsolevaluation"  # VGG only: the second ADL before pool4


# --------------------------------------------------------------------------- loss
@dataclass
class LossConfig:
    name: LossName = MISSING  # each option of conf/loss names itself
    tau: float = 1.0  # temperature of logit_adjusted (and of its MI read-out)
    posthoc_tau: float = 1.0  # softmax's post-hoc adjusted prediction: argmax n(x) - posthoc_tau * log pi

    def __post_init__(self) -> None:
        _require(self.tau >= 0, "loss.tau", ">= 0", self.tau)
        _require(self.posthoc_tau >= 0, "loss.posthoc_tau", ">= 0", self.posthoc_tau)


# --------------------------------------------------------------------------- data
def _require_loader_sizes(section) -> None:
    """batch_size and eval_batch_size >= 1, and num_workers >= 0 where the section has workers."""
    for key in ("batch_size", "eval_batch_size"):
        _require(getattr(section, key) >= 1, f"data.{key}", ">= 1", getattr(section, key))
    if hasattr(section, "num_workers"):
        _require(section.num_workers >= 0, "data.num_workers", ">= 0", section.num_workers)


@dataclass
class GMMDataConfig:
    _target_: str = "infocam_lit.data.gmm.GMMDataModule"
    dim: int = 5  # any d >= 1; the paper uses 1, 2, 5, 10
    imbalanced: bool = True  # false: 10k train per class; true: 5k, 10k, 15k, 20k, 25k
    seed: int = "${seed}"  # every sample is a function of this seed
    batch_size: int = 512
    eval_batch_size: int = 8192
    noise_dims: int = 0  # independent N(0, 1) coordinates appended to x; I(X;Y) does not change (SPEC §7.4)
    size_factor: float = 1.0  # train and val keep this fraction of each class (a prefix); test is unchanged

    def __post_init__(self) -> None:
        _require(self.dim >= 1, "data.dim", ">= 1", self.dim)
        _require(self.noise_dims >= 0, "data.noise_dims", ">= 0", self.noise_dims)
        _require(0 < self.size_factor <= 1, "data.size_factor", "in (0, 1] (a fraction of the paper's sample)",
                 self.size_factor)
        _require_loader_sizes(self)


@dataclass
class MNISTDataConfig:
    _target_: str = "infocam_lit.data.mnist.MNISTDataModule"
    root: str = "${paths.data_dir}"  # holds MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
    download: bool = False  # true fetches the four files where the network allows
    imbalanced: bool = False  # true: all odd digits, a seeded 1/imbalance_ratio of each even digit (train and val)
    # rho: imbalanced keeps 1/rho of each even digit (imbalanced=false: rho = 1); the subsets of one seed are
    # nested across rho; test_imb is always rho = 10
    imbalance_ratio: float = 10.0
    val_fraction: float = 1 / 12  # of the official train file
    seed: int = "${seed}"
    batch_size: int = 64
    eval_batch_size: int = 1000

    def __post_init__(self) -> None:
        _require(0 < self.val_fraction < 1, "data.val_fraction", "in (0, 1)", self.val_fraction)
        _require(self.imbalance_ratio >= 1, "data.imbalance_ratio", ">= 1", self.imbalance_ratio)
        _require_loader_sizes(self)


@dataclass
class CUBClassificationDataConfig:
    _target_: str = "infocam_lit.data.cub.CUBClassificationDataModule"
    root: str = "${paths.data_dir}"
    download: bool = False  # true fetches the archive from url (checked against md5) if <root>/CUB_200_2011/ is absent
    url: str = cub.URL  # a mirror, or file:///path/to/CUB_200_2011.tgz
    md5: Optional[str] = cub.MD5  # null: no checksum (a custom archive); the official one also checks the counts
    imbalanced: bool = False  # true: half of the train/val images of a seeded half of the classes dropped
    seed: int = "${seed}"
    image_size: int = 299  # Inception-V3's input; eval resizes to image_size * 8 / 7 first
    batch_size: int = 32
    eval_batch_size: int = 64
    num_workers: int = 4
    pin_memory: bool = True

    def __post_init__(self) -> None:
        _require(self.image_size >= 8, "data.image_size", ">= 8", self.image_size)
        _require_loader_sizes(self)


@dataclass
class CUBWSOLDataConfig:
    _target_: str = "infocam_lit.data.cub.CUBWSOLDataModule"
    root: str = "${paths.data_dir}"
    download: bool = False  # true fetches the archive from url (checked against md5) if <root>/CUB_200_2011/ is absent
    url: str = cub.URL  # a mirror, or file:///path/to/CUB_200_2011.tgz
    md5: Optional[str] = cub.MD5  # null: no checksum (a custom archive); the official one also checks the counts
    resize_size: int = 256
    crop_size: int = 224
    # wsolevaluation: resize to crop_size x crop_size | legacy: resize to resize_size, then centre crop
    eval_transform: EvalTransform = EvalTransform.wsolevaluation
    # what the test stage scores: test (validation half held out, val_tau chosen on it) | official_test (the
    # whole official test split, for numbers beside wsolevaluation's; no val_tau; for evaluate.py)
    eval_split: EvalSplit = EvalSplit.test
    batch_size: int = 32
    eval_batch_size: int = 64
    num_workers: int = 4
    pin_memory: bool = True

    def __post_init__(self) -> None:
        _require(self.crop_size >= 8, "data.crop_size", ">= 8", self.crop_size)
        _require(self.resize_size >= self.crop_size, "data.resize_size", f">= data.crop_size ({self.crop_size})",
                 self.resize_size)
        _require_loader_sizes(self)


@dataclass
class TinyImageNetDataConfig:
    _target_: str = "infocam_lit.data.tiny_imagenet.TinyImageNetDataModule"
    root: str = "${paths.data_dir}"
    # true fetches the archive from url, checked against md5, when <root>/tiny-imagenet-200/ is absent
    download: bool = False
    url: str = tiny_imagenet.URL  # a mirror, or file:///path/to/tiny-imagenet-200.zip
    md5: Optional[str] = tiny_imagenet.MD5  # null: no checksum (a custom archive); the official one also checks counts
    # decode every image once into uint8 tensors (about 1.35 GB); training batches are flipped and normalised as
    # whole batches
    in_memory: bool = False
    seed: int = "${seed}"  # the order and flips of in-memory training batches (with the epoch)
    batch_size: int = 256
    eval_batch_size: int = 256
    num_workers: int = 4
    pin_memory: bool = True

    def __post_init__(self) -> None:
        _require_loader_sizes(self)


@dataclass
class DoubleMNISTDataConfig:
    _target_: str = "infocam_lit.data.double_mnist.DoubleMNISTDataModule"
    root: str = "${paths.data_dir}"
    download: bool = False
    slot_prob: float = 0.7
    train_canvases: int = 55_000
    val_canvases: int = 5_000
    test_canvases: int = 10_000
    val_fraction: float = 1 / 12
    seed: int = "${seed}"
    batch_size: int = 128
    eval_batch_size: int = 1000
    cache_dir: Optional[str] = "${paths.cache_dir}"

    def __post_init__(self) -> None:
        _require(0 < self.slot_prob <= 1, "data.slot_prob", "in (0, 1]", self.slot_prob)
        for key in ("train_canvases", "val_canvases", "test_canvases"):
            _require(getattr(self, key) >= 1, f"data.{key}", ">= 1", getattr(self, key))
        _require_loader_sizes(self)
        _require(0 < self.val_fraction < 1, "data.val_fraction", "in (0, 1)", self.val_fraction)


# --------------------------------------------------------------------------- localisation maps
@dataclass
class CamConfig:
    region_size: int = 5  # R of the region sum (Eq. 13-15); 1 = no region
    region_mode: RegionMode = RegionMode.same  # same | legacy (the authors' full convolution, (h+R-1) x (w+R-1))
    plus_mode: PlusMode = PlusMode.paper  # paper (per-location minimum) | legacy (the lowest-logit class)
    threshold: float = 0.2  # box threshold, a fraction of the map's maximum after min-max normalisation
    upsample: Upsample = Upsample.bicubic
    maxboxacc_in_val: bool = False  # MaxBoxAccV2 sweeps thresholds over every image: test only by default
    threshold_step: float = 0.01  # the threshold grid of MaxBoxAccV2 and of the held-out tau (val_tau)
    # MaxBoxAccV2's convention: infocam_lit (SPEC §4.2) | wsolevaluation (its evaluator exactly, for comparison
    # with published numbers; needs data.eval_transform=wsolevaluation and OpenCV)
    box_convention: BoxConvention = BoxConvention.infocam_lit

    def __post_init__(self) -> None:
        _require(self.region_size >= 1, "cam.region_size", ">= 1", self.region_size)
        _require(0 <= self.threshold < 1, "cam.threshold", "in [0, 1)", self.threshold)
        _require(0 < self.threshold_step <= 0.5, "cam.threshold_step", "in (0, 0.5]", self.threshold_step)


# --------------------------------------------------------------------------- model
# model.net, model.optimizer and model.scheduler are `_target_`s with their arguments, built inside
# the module (modules/components.py). A net's schema lists its arguments, so a mistyped one fails
# at composition; optimizer and scheduler take any argument of their target and are checked in
# validate_config by building them. `_recursive_: false` hands them to the module as configs,
# so instantiate(cfg.model, ...) works as it stands.
@dataclass
class MLPNetConfig:
    _target_: str = "infocam_lit.nets.mlp.mlp"
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])

    def __post_init__(self) -> None:
        _require(all(h >= 1 for h in self.hidden_sizes), "model.net.hidden_sizes", ">= 1", self.hidden_sizes)


@dataclass
class MNISTCNNNetConfig:
    _target_: str = "infocam_lit.nets.mnist_cnn.mnist_cnn"


@dataclass
class InceptionV3NetConfig:
    _target_: str = "infocam_lit.nets.inception.InceptionV3Classifier"
    pretrained: Any = True  # true (torchvision's ImageNet weights), false, or a local weights file
    freeze_backbone: bool = False  # train the final layer only (the authors' setting)
    aux_loss_weight: float = 0.4  # weight of the auxiliary classifier's loss in training; 0 drops that head

    def __post_init__(self) -> None:
        _require(isinstance(self.pretrained, (bool, str)), "model.net.pretrained", "true, false or a file path",
                 self.pretrained)
        _require(self.aux_loss_weight >= 0, "model.net.aux_loss_weight", ">= 0", self.aux_loss_weight)


@dataclass
class WSOLNetConfig:
    _target_: str = MISSING  # infocam_lit.nets.wsol.vgg16_gap, .resnet50 or .small_gap_cnn
    pretrained: Any = True  # true (torchvision's ImageNet weights), false, or a local weights file
    adl: bool = False
    adl_drop_rate: float = 0.75
    adl_gamma: float = MISSING  # 0.8 for VGG, 0.9 for ResNet (set by each model file)
    adl_positions: ADLPositions = ADLPositions.paper  # paper | wsolevaluation (VGG only)

    def __post_init__(self) -> None:
        _require(isinstance(self.pretrained, (bool, str)), "model.net.pretrained", "true, false or a file path",
                 self.pretrained)
        _require(0 <= self.adl_drop_rate <= 1, "model.net.adl_drop_rate", "in [0, 1]", self.adl_drop_rate)
        if self.adl_gamma != MISSING:  # each model file sets it; the schema's own default instance has none
            _require(0 <= self.adl_gamma <= 1, "model.net.adl_gamma", "in [0, 1]", self.adl_gamma)
        _require(self._target_.endswith("vgg16_gap") or self.adl_positions == ADLPositions.paper,
                 "model.net.adl_positions", "'paper' but for vgg16_gap", self.adl_positions.value)


def _check_small_net(net) -> None:
    _require(net.in_channels >= 1, "model.net.in_channels", ">= 1", net.in_channels)
    _require(len(net.widths) >= 2 and all(w >= 1 for w in net.widths), "model.net.widths",
             "two or more positive widths", net.widths)


@dataclass
class SmallGAPNetConfig:
    _target_: str = "infocam_lit.nets.wsol.small_gap_cnn"
    in_channels: int = 1
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])

    def __post_init__(self) -> None:
        _check_small_net(self)


@dataclass
class SmallWSOLNetConfig(WSOLNetConfig):
    """model=small_gap_cnn: a GAP CNN from scratch, one conv block per width (infocam_lit.nets.wsol)."""
    _target_: str = "infocam_lit.nets.wsol.small_gap_cnn"
    pretrained: Any = False  # it has no pretrained weights
    adl_gamma: float = 0.9
    in_channels: int = 3
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    stem_stride: int = 1  # the first block's stride
    pool_after: list[int] = field(default_factory=lambda: [0, 1])  # 2x2 max-pools after these blocks (0-based)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_small_net(self)
        _require(self.stem_stride >= 1, "model.net.stem_stride", ">= 1", self.stem_stride)
        _require(all(0 <= i < len(self.widths) for i in self.pool_after), "model.net.pool_after",
                 f"block numbers in [0, {len(self.widths) - 1}]", self.pool_after)


@dataclass
class WSOLModelConfig:
    _target_: str = "infocam_lit.modules.wsol.WSOLModule"
    _recursive_: bool = False  # the module builds net, optimizer and scheduler from their configs
    net: WSOLNetConfig = field(default_factory=WSOLNetConfig)
    optimizer: Any = MISSING  # {_target_: torch.optim.SGD, _partial_: true, lr: ..., ...}
    scheduler: Any = None  # null, or {_target_: torch.optim.lr_scheduler.MultiStepLR, _partial_: true, ...}
    new_layers_lr_mult: float = 1.0  # learning-rate factor of the layers not taken from ImageNet
    channels_last: bool = False  # weights and image batches in NHWC memory (GPU mixed precision; no effect on 2-D data)

    def __post_init__(self) -> None:
        _require(self.new_layers_lr_mult > 0, "model.new_layers_lr_mult", "> 0", self.new_layers_lr_mult)


@dataclass
class SmallWSOLModelConfig(WSOLModelConfig):
    net: SmallWSOLNetConfig = field(default_factory=SmallWSOLNetConfig)


@dataclass
class MultiLabelModelConfig:
    _target_: str = "infocam_lit.modules.multilabel.MultiLabelLocalizationModule"
    _recursive_: bool = False  # the module builds net, optimizer and scheduler from their configs
    net: SmallGAPNetConfig = field(default_factory=SmallGAPNetConfig)
    optimizer: Any = MISSING
    scheduler: Any = None
    channels_last: bool = False  # weights and image batches in NHWC memory (GPU mixed precision; no effect on 2-D data)


@dataclass
class ClassifierModelConfig:
    _target_: str = "infocam_lit.modules.classifier.ClassifierModule"
    _recursive_: bool = False  # the module builds net, optimizer and scheduler from their configs
    net: MLPNetConfig = field(default_factory=MLPNetConfig)
    optimizer: Any = MISSING
    scheduler: Any = None
    channels_last: bool = False  # weights and image batches in NHWC memory (GPU mixed precision; no effect on 2-D data)


@dataclass
class MNISTCNNModelConfig(ClassifierModelConfig):
    net: MNISTCNNNetConfig = field(default_factory=MNISTCNNNetConfig)


@dataclass
class InceptionV3ModelConfig(ClassifierModelConfig):
    net: InceptionV3NetConfig = field(default_factory=InceptionV3NetConfig)


@dataclass
class MINEModelConfig:
    _target_: str = "infocam_lit.modules.mine.MINEModule"
    _recursive_: bool = False  # the module builds net, optimizer and scheduler from their configs
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])
    ema_rate: float = 0.01  # moving-average rate of the DV denominator (bias correction)
    optimizer: Any = MISSING
    scheduler: Any = None

    def __post_init__(self) -> None:
        _require(all(h >= 1 for h in self.hidden_sizes), "model.hidden_sizes", ">= 1", self.hidden_sizes)
        _require(0 < self.ema_rate <= 1, "model.ema_rate", "in (0, 1]", self.ema_rate)


@dataclass
class KNNModelConfig:
    _target_: str = "infocam_lit.modules.knn.KNNModule"
    k: int = 3  # the neighbour whose distance sets each point's radius (Ross 2014)

    def __post_init__(self) -> None:
        _require(self.k >= 1, "model.k", ">= 1", self.k)


# --------------------------------------------------------------------------- trainer
@dataclass
class TrainerConfig:
    """Every pytorch_lightning.Trainer argument a user may override from here."""

    _target_: str = "pytorch_lightning.Trainer"
    accelerator: str = "auto"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    max_epochs: int = 200
    min_epochs: int = 1
    max_steps: int = -1
    max_time: Optional[str] = None  # "DD:HH:MM:SS"
    limit_train_batches: Any = None  # int (batches) or float (fraction)
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    val_check_interval: Any = None
    check_val_every_n_epoch: int = 1
    num_sanity_val_steps: int = 2
    log_every_n_steps: int = 50
    accumulate_grad_batches: int = 1
    gradient_clip_val: Optional[float] = None
    deterministic: Any = False  # true | false | "warn"
    benchmark: Optional[bool] = None
    sync_batchnorm: bool = False
    detect_anomaly: bool = False
    fast_dev_run: Any = False
    overfit_batches: Any = 0.0  # int (batches) or float (fraction): train, validate and test on the same batches
    # null, a name ("simple", "advanced", "pytorch") or a `_target_` profiler with its arguments (debug=profiler)
    profiler: Any = None
    enable_progress_bar: bool = True  # a bar on a terminal (one line per epoch elsewhere); false: never a bar

    def __post_init__(self) -> None:
        _require(self.max_epochs >= 1 or self.max_epochs == -1, "trainer.max_epochs", ">= 1 or -1", self.max_epochs)
        _require(self.num_nodes >= 1, "trainer.num_nodes", ">= 1", self.num_nodes)
        _require(self.accumulate_grad_batches >= 1, "trainer.accumulate_grad_batches", ">= 1",
                 self.accumulate_grad_batches)


# --------------------------------------------------------------------------- callbacks
@dataclass
class ModelCheckpointConfig:
    _target_: str = "pytorch_lightning.callbacks.ModelCheckpoint"
    dirpath: str = "${paths.output_dir}/checkpoints"
    filename: str = "best"
    monitor: str = "val/loss"
    mode: str = "min"
    save_last: bool = True
    save_top_k: int = 1
    auto_insert_metric_name: bool = False

    def __post_init__(self) -> None:
        _require(self.mode in ("min", "max"), "callbacks.model_checkpoint.mode", "'min' or 'max'", self.mode)


@dataclass
class EarlyStoppingConfig:
    _target_: str = "pytorch_lightning.callbacks.EarlyStopping"
    monitor: str = "${callbacks.model_checkpoint.monitor}"
    mode: str = "${callbacks.model_checkpoint.mode}"
    patience: int = 10
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        _require(self.patience >= 0, "callbacks.early_stopping.patience", ">= 0", self.patience)


@dataclass
class CallbacksConfig:
    model_checkpoint: Optional[ModelCheckpointConfig] = field(default_factory=ModelCheckpointConfig)
    early_stopping: Optional[EarlyStoppingConfig] = field(default_factory=EarlyStoppingConfig)
    # what a run leaves behind (infocam_lit/run/artifacts.py), each {_target_: ...} or null;
    # the experiments list theirs
    run_summary: Optional[Any] = None
    confusion_figures: Optional[Any] = None
    mi_curve: Optional[Any] = None
    localization_figures: Optional[Any] = None


# (group, name, schema): stored as schema/<group>/<name>
SCHEMAS = (
    ("loss", "loss", LossConfig),
    ("data", "gmm", GMMDataConfig),
    ("data", "mnist", MNISTDataConfig),
    ("data", "cub_cls", CUBClassificationDataConfig),
    ("data", "cub_wsol", CUBWSOLDataConfig),
    ("data", "tiny_imagenet", TinyImageNetDataConfig),
    ("data", "double_mnist", DoubleMNISTDataConfig),
    ("model", "multilabel", MultiLabelModelConfig),
    ("model", "wsol", WSOLModelConfig),
    ("model", "wsol_small", SmallWSOLModelConfig),
    ("cam", "cam", CamConfig),
    ("model", "classifier", ClassifierModelConfig),
    ("model", "mnist_cnn", MNISTCNNModelConfig),
    ("model", "inception_v3", InceptionV3ModelConfig),
    ("model", "mine", MINEModelConfig),
    ("model", "knn", KNNModelConfig),
    ("trainer", "trainer", TrainerConfig),
    ("callbacks", "callbacks", CallbacksConfig),
)


def register_configs() -> None:
    """Put the schemas into Hydra's ConfigStore, under schema/<group>/ so that they
    are not listed among a group's options (called by the entry points), and the
    resolvers that name run folders."""
    register_resolvers()
    cs = ConfigStore.instance()
    for group, name, node in SCHEMAS:
        cs.store(group=f"schema/{group}", name=name, node=node)


DATA_SCHEMAS = (GMMDataConfig, MNISTDataConfig, CUBClassificationDataConfig, CUBWSOLDataConfig,
                TinyImageNetDataConfig, DoubleMNISTDataConfig)
MODEL_SCHEMAS = (ClassifierModelConfig, MNISTCNNModelConfig, InceptionV3ModelConfig, MINEModelConfig, WSOLModelConfig,
                 SmallWSOLModelConfig, MultiLabelModelConfig, KNNModelConfig)


def typed_section(section: dict, group: str = "") -> DictConfig:
    """A saved (plain) config section, typed again by the schema it was made from."""
    schema = {"loss": LossConfig, "cam": CamConfig}.get(group) or _schema_of(section)
    if schema is None:
        return OmegaConf.create(section)
    return OmegaConf.merge(OmegaConf.structured(schema), section)


def _schema_of(section: dict):
    """The schema with the section's _target_; classifier schemas also differ by net._target_."""
    candidates = [schema for schema in DATA_SCHEMAS + MODEL_SCHEMAS if schema._target_ == section.get("_target_")]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    net_target = (section.get("net") or {}).get("_target_")
    defaults = {schema: schema.__dataclass_fields__["net"].default_factory()._target_ for schema in candidates}
    for schema, target in defaults.items():
        if target == net_target:
            return schema
    # a schema whose net is open to any _target_ (WSOL: vgg16_gap, resnet50)
    return next((schema for schema, target in defaults.items() if target == MISSING), None)


def validate_config(cfg: DictConfig) -> None:
    """Run every section's range checks; raise ConfigError naming the key."""
    for section in ("data", "model", "loss", "cam", "trainer", "callbacks"):
        node = cfg.get(section)
        if node is not None and is_dataclass(OmegaConf.get_type(node)):
            OmegaConf.to_object(node)  # builds the dataclass, so __post_init__ runs
    if cfg.get("cam") is not None and cfg.cam.get("box_convention") == BoxConvention.wsolevaluation:
        _require(cfg.data.get("eval_transform", "wsolevaluation") == EvalTransform.wsolevaluation,
                 "data.eval_transform", "wsolevaluation with cam.box_convention=wsolevaluation (its boxes are "
                 "defined on a plain resize)", cfg.data.get("eval_transform"))
    if cfg.get("model") is not None and "optimizer" in cfg.model:  # a family may configure its own
        check_optimizer(cfg.model)
    if cfg.get("trainer") is not None:
        check_precision(cfg.trainer)
    if cfg.get("tags") is not None:  # a string would become one W&B tag per letter
        tags = OmegaConf.to_container(cfg.tags) if isinstance(cfg.tags, ListConfig) else cfg.tags
        _require(isinstance(tags, list) and all(isinstance(tag, str) for tag in tags), "tags",
                 "a list of strings, e.g. tags=[ablation,lr]", tags)
    for name, entry in (OmegaConf.to_container(cfg.get("logger") or {}, resolve=False) or {}).items():
        if entry:
            check_logger(f"logger.{name}", entry)


def check_precision(trainer: DictConfig) -> None:
    """bf16 (trainer=gpu and trainer=ddp's default) on a CUDA GPU without native bfloat16 (before
    compute capability 8.0) would be emulated or refused mid-run: stop before any work instead."""
    import torch

    precision = str(trainer.get("precision"))
    if (not precision.startswith("bf16") or str(trainer.get("accelerator")) not in ("gpu", "cuda", "auto")
            or not torch.cuda.is_available() or torch.cuda.is_bf16_supported(including_emulation=False)):
        return
    raise ConfigError(f"trainer.precision={precision} needs a GPU with native bfloat16 (compute capability 8.0 or "
                      f"newer: A100, H100, RTX 30xx and later); {torch.cuda.get_device_name()} has none. Use "
                      "trainer.precision=16-mixed (float16 with loss scaling) or trainer.precision=32-true")


def check_optimizer(model: DictConfig) -> None:
    """model.optimizer and model.scheduler are built once on a stand-in parameter, so a wrong
    target, an unknown argument or a value out of range stops the run before any work."""
    import torch
    from hydra.utils import instantiate

    optimizer, scheduler = model.get("optimizer"), model.get("scheduler")
    for key, node in (("model.optimizer", optimizer), ("model.scheduler", scheduler)):
        if node is None and key == "model.scheduler":
            continue
        _require(isinstance(node, DictConfig) and "_target_" in node, key,
                 "a _target_ and its arguments (e.g. {_target_: torch.optim.SGD, _partial_: true, lr: 0.01})",
                 OmegaConf.to_container(node) if isinstance(node, DictConfig) else node)
        _require(node.get("_partial_") is True, f"{key}._partial_", "true (the module supplies the "
                 + ("parameters)" if key == "model.optimizer" else "optimizer)"), node.get("_partial_"))
    if "lr" in optimizer:  # torch accepts 0, which trains nothing
        _require(optimizer.lr > 0, "model.optimizer.lr", "> 0", optimizer.lr)
    try:
        built = instantiate(optimizer, _convert_="all")([torch.nn.Parameter(torch.zeros(1))])
    except Exception as error:  # noqa: BLE001 - the target's own message, under the key that caused it
        raise ConfigError(f"model.optimizer: {type(error).__name__}: {error}") from None
    if scheduler is not None:
        try:
            instantiate(scheduler, _convert_="all")(built)
        except Exception as error:  # noqa: BLE001
            raise ConfigError(f"model.scheduler: {type(error).__name__}: {error}") from None


def check_logger(key: str, entry: dict) -> None:
    """Every key of a logger entry is an argument its `_target_` takes."""
    from hydra.utils import get_class

    from infocam_lit.run.loggers import accepted_arguments, missing_package

    _require("_target_" in entry, key, "a _target_ and its arguments (several loggers: logger=[wandb,tensorboard])",
             entry)
    try:
        cls = get_class(entry["_target_"])
    except Exception as error:  # noqa: BLE001
        raise ConfigError(f"{key}._target_: {error}") from None
    missing = missing_package(cls)
    if missing:
        raise ConfigError(f"{key} needs {missing} (make install includes it)")
    if issubclass(cls, WandbLogger) and entry.get("log_model", False) not in (False, True, "all"):
        raise ConfigError(f"{key}.log_model must be false, true or 'all', got {entry['log_model']!r}")
    accepted = accepted_arguments(cls)
    unknown = sorted(set(entry) - {"_target_"} - (accepted if accepted is not None else set(entry)))
    if unknown:
        raise ConfigError(f"{key}: {cls.__name__} takes no argument {', '.join(unknown)}; "
                          f"valid: {', '.join(sorted(accepted))}")
