"""The run layer reads what ExperimentModule and ExperimentDataModule declare, never by probing:
every family's classes derive from them, and a config naming other classes gets a clear error."""

import pytest
import pytorch_lightning as pl

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.data.cub import CUBClassificationDataModule, CUBWSOLDataModule
from infocam_lit.data.double_mnist import DoubleMNISTDataModule
from infocam_lit.data.gmm import GMMDataModule
from infocam_lit.data.mnist import MNISTDataModule
from infocam_lit.data.tiny_imagenet import TinyImageNetDataModule
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.classifier import ClassifierModule
from infocam_lit.modules.knn import KNNModule
from infocam_lit.modules.mine import MINEModule
from infocam_lit.modules.multilabel import MultiLabelLocalizationModule
from infocam_lit.modules.wsol import WSOLModule
from infocam_lit.run.build import require_contracts
from infocam_lit.run.errors import RunRefused
from tests.helpers.datamodules import datamodule

DATAMODULES = [GMMDataModule, MNISTDataModule, DoubleMNISTDataModule, CUBClassificationDataModule,
               CUBWSOLDataModule, TinyImageNetDataModule]
MODULES = [ClassifierModule, MINEModule, KNNModule, MultiLabelLocalizationModule, WSOLModule]


@pytest.mark.parametrize("cls", DATAMODULES, ids=lambda c: c.__name__)
def test_every_datamodule_declares_the_label_prior(cls):
    assert issubclass(cls, ExperimentDataModule)
    assert cls.label_prior is not ExperimentDataModule.label_prior, "label_prior is the base's placeholder"


@pytest.mark.parametrize("cls", MODULES, ids=lambda c: c.__name__)
def test_every_module_says_its_own_summary_line(cls):
    assert issubclass(cls, ExperimentModule)
    assert cls.summary_line is not ExperimentModule.summary_line


def test_the_data_base_declares_defaults_and_the_label_prior_is_required():
    data = ExperimentDataModule()
    assert data.test_split_names == ("test",) and data.model_kwargs() == {} and data.reference_metrics() == {}
    with pytest.raises(NotImplementedError, match="ExperimentDataModule must define label_prior"):
        _ = data.label_prior


def test_gmm_data_declares_its_prior_splits_and_ground_truth():
    data = datamodule("gmm", dim=1, imbalanced=True, seed=0, batch_size=64, eval_batch_size=256)
    assert data.label_prior == pytest.approx([1 / 15, 2 / 15, 3 / 15, 4 / 15, 5 / 15], abs=1e-9)
    assert data.test_split_names == ("test", "train")
    assert set(data.reference_metrics()) == {"mi", "accuracy"}


def test_a_test_split_is_named_test_without_a_datamodule_of_ours():
    module = ExperimentModule()
    assert module.test_split_name(0) == "test"
    assert module.test_results == {} and module.test_confusion == {} and module.test_examples == {}


def test_classes_without_the_contracts_get_a_clear_error():
    data = ExperimentDataModule()
    with pytest.raises(RunRefused, match="model._target_ must name a subclass of infocam_lit.modules.base"):
        require_contracts(pl.LightningModule(), data)
    with pytest.raises(RunRefused, match="data._target_ must name a subclass of infocam_lit.data.base"):
        require_contracts(ExperimentModule(), pl.LightningDataModule())
    require_contracts(ExperimentModule(), data)
