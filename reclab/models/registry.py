"""Every model the book trains, by name: one registry that the trainer, the command line and the
docs read.

A :class:`ModelSpec` says how to build a model from the data's sizes and a configuration, which
frozen dataclass configures it, what the paper's configuration is and which command-line flags
map to which fields. Adding a model is one new file (the model) and one :func:`register_model`
line below; ``python -m reclab train --model NAME`` and :func:`reclab.training.fit` then take it.

Example:
    >>> sorted(MODELS)
    ['bert4rec', 'gru4rec', 'hstu', 'markov', 'mf', 'neumf', 'pop', 'sasrec', 'tiger']
    >>> build_model("sasrec", num_items=10, config={"max_len": 4, "dim": 8}).config.max_len
    4
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from reclab.models.baselines import MarkovChain, Popularity
from reclab.models.bert4rec import BERT4Rec, BERT4RecConfig
from reclab.models.gru4rec import GRU4Rec, GRU4RecConfig
from reclab.models.matrix_factorization import MatrixFactorization, MatrixFactorizationConfig
from reclab.models.neumf import NeuMF, NeuMFConfig
from reclab.models.sasrec import SASRec, SASRecConfig
from reclab.models.tiger import TIGER, TIGERConfig
from reclab.registry import Registry

__all__ = ["MODELS", "ModelSpec", "build_model", "model_spec", "register_model"]


@dataclass(frozen=True)
class ModelSpec:
    """How to build one kind of model.

    Attributes:
        name: the registry key (``--model NAME``).
        build: ``(num_items, num_users, config) -> model``.
        model_class: the class ``build`` makes (its ``parameter_count`` sizes a run before
            anything is allocated).
        summary: one line for ``--help`` and the docs.
        config_class: the model's frozen configuration dataclass; ``None`` for count models,
            whose keyword arguments are given by ``defaults``.
        defaults: keyword arguments of a count model (e.g. Markov's ``popularity_weight``).
        paper: the paper's configuration (``--paper``), or ``None``.
        paper_training: the paper's :class:`~reclab.training.TrainingConfig` fields for
            ``--paper``; ``None`` means ``TrainingConfig.paper()`` (SASRec's training).
        config_defaults: fields set on ``config_class()`` before any change, when one class
            serves two registered models (``hstu`` is SASRec with ``block="hstu"``).
        training: the model's own :class:`~reclab.training.TrainingConfig` defaults, where
            they differ from the package's (selected on validation); the command line starts
            from them unless ``--paper``, and a flag still overrides each.
        flags: command-line flag -> configuration field (``{"dim": "mf_dim"}``); a flag not
            listed does not apply to the model.
        reads_content: the model can embed items from their content (``build`` then takes a
            ``content=`` :class:`reclab.data.ItemContent`; ``--items content|hybrid``).
    """

    name: str
    build: Callable[[int, int, Any], Any]
    model_class: type
    summary: str
    config_class: type | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    paper: Callable[[], Any] | None = None
    flags: Mapping[str, str] = field(default_factory=dict)
    paper_training: Mapping[str, Any] | None = None
    config_defaults: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)
    reads_content: bool = False

    @property
    def trainable(self) -> bool:
        """Whether it is a Keras model trained by gradient descent (not fitted from counts)."""
        return self.config_class is not None

    def make_config(self, changes: Mapping[str, Any] | None = None, *, paper: bool = False) -> Any:
        """The configuration with ``changes`` (field -> value) applied (a dict for counts)."""
        changes = dict(changes or {})
        if self.config_class is None:
            unknown = set(changes) - set(self.defaults)
            if unknown:
                raise ValueError(f"model {self.name!r} has no setting {sorted(unknown)}")
            return {**self.defaults, **changes}
        if paper and self.paper is None:
            raise ValueError(f"model {self.name!r} has no paper configuration")
        base = self.paper() if paper else replace(self.config_class(), **self.config_defaults)
        names = {f.name for f in fields(self.config_class)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(
                f"{self.config_class.__name__} has no field {sorted(unknown)}; "
                f"fields: {sorted(names)}"
            )
        return replace(base, **changes)


#: The registered models, by name.
MODELS: Registry[ModelSpec] = Registry("model")
#: Add a :class:`ModelSpec` to :data:`MODELS` (a name can be registered once).
register_model = MODELS.register
#: The :class:`ModelSpec` of a name, or a ``ValueError`` listing the choices.
model_spec = MODELS.lookup


def build_model(
    name: str, *, num_items: int, num_users: int = 0, config: Any = None, content: Any = None
) -> Any:
    """Build the model ``name`` for ``num_items`` items (and ``num_users`` users).

    ``config`` is the model's configuration, a dict of its fields, or ``None`` (defaults);
    ``content`` the catalogue's :class:`reclab.data.ItemContent`, for a model configured to
    embed items from it (``SASRecConfig(items="content")``).
    """
    spec = model_spec(name)
    if config is None or isinstance(config, Mapping):
        config = spec.make_config(config)
    if content is None:
        return spec.build(num_items, num_users, config)
    if not spec.reads_content:
        raise ValueError(f"model {name!r} does not embed item content")
    return spec.build(num_items, num_users, config, content=content)


_SEQUENCE_FLAGS = {"dim": "dim", "max_len": "max_len", "dropout": "dropout"}

register_model(
    ModelSpec("pop", lambda n, u, c: Popularity(n), Popularity, "most popular items (counts)")
)
register_model(
    ModelSpec(
        "markov",
        lambda n, u, c: MarkovChain(n, **c),
        MarkovChain,
        "first-order transitions, ties broken by popularity",
        defaults={"popularity_weight": 0.5},
    )
)
register_model(
    ModelSpec(
        "mf",
        lambda n, u, c: MatrixFactorization(u, n, c),
        MatrixFactorization,
        "matrix factorisation (Koren et al. 2009)",
        MatrixFactorizationConfig,
        flags={"dim": "dim"},
    )
)
register_model(
    ModelSpec(
        "neumf",
        lambda n, u, c: NeuMF(u, n, c),
        NeuMF,
        "neural collaborative filtering (He et al. 2017)",
        NeuMFConfig,
        flags={"dim": "mf_dim", "dropout": "dropout"},
    )
)
register_model(
    ModelSpec(
        "gru4rec",
        lambda n, u, c: GRU4Rec(n, c),
        GRU4Rec,
        "recurrent network over the history (Hidasi et al. 2016)",
        GRU4RecConfig,
        flags=_SEQUENCE_FLAGS,
    )
)
register_model(
    ModelSpec(
        "sasrec",
        lambda n, u, c, content=None: SASRec(n, c, content=content),
        SASRec,
        "self-attention over the history (Kang & McAuley 2018)",
        SASRecConfig,
        paper=SASRecConfig.paper,
        flags={**_SEQUENCE_FLAGS, "items": "items"},
        reads_content=True,
    )
)
register_model(
    ModelSpec(
        "bert4rec",
        lambda n, u, c: BERT4Rec(n, c),
        BERT4Rec,
        "bidirectional self-attention, trained to fill in hidden items (Sun et al. 2019)",
        BERT4RecConfig,
        paper=BERT4RecConfig.paper,
        flags={**_SEQUENCE_FLAGS, "mask_prob": "mask_prob"},
        # Adam 1e-4 (beta_2 0.999), batch 256; its weight decay and linear decay are not used.
        paper_training={"learning_rate": 1e-4, "beta_2": 0.999, "batch_size": 256},
        # Selected on validation (see BERT4RecConfig): small batches, more steps per second.
        training={"batch_size": 32, "learning_rate": 2e-3, "patience": 30},
    )
)
register_model(
    ModelSpec(
        "hstu",
        lambda n, u, c, content=None: SASRec(n, c, content=content),
        SASRec,
        "SASRec with HSTU blocks: pointwise SiLU attention with gating, no softmax "
        "(Zhai et al. 2024)",
        SASRecConfig,
        flags={**_SEQUENCE_FLAGS, "items": "items"},
        reads_content=True,
        config_defaults={"block": "hstu"},
    )
)
register_model(
    ModelSpec(
        "tiger",
        lambda n, u, c, content=None: TIGER(n, c, content=content),
        TIGER,
        "generative retrieval: writes the next item's semantic id code by code, beam search "
        "over valid codes (Rajput et al. 2023); --items says what the codes are made from",
        TIGERConfig,
        flags={**_SEQUENCE_FLAGS, "items": "items"},
        reads_content=True,
    )
)
