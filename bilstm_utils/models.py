"""Model builders for the IMDB chapters (4 and 5).

:func:`build_seed_model` is the seed article's classifier, with the lines its printed
listing lost restored::

    Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid)

:func:`build_text_classifier` is the general builder the chapters' experiments vary.
"""

from __future__ import annotations

from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402

POOLINGS = ("last", "max", "mean")


def build_text_classifier(
    vocab_size: int = 10_000,
    embed_dim: int = 128,
    units: int = 64,
    bidirectional: bool = True,
    pooling: str = "last",
    mask_zero: bool = False,
    dropout: float = 0.5,
    embed_dropout: float = 0.0,
    learning_rate: float = 1e-3,
    name: str | None = None,
) -> keras.Model:
    """Embedding -> (Bi)LSTM -> pooling over time -> Dropout -> Dense(1, sigmoid), compiled.

    Parameters
    ----------
    vocab_size : int
        Number of token ids (id 0 is padding).
    embed_dim : int
        Embedding width.
    units : int
        LSTM units per direction.
    bidirectional : bool
        Wrap the LSTM in ``keras.layers.Bidirectional`` (``merge_mode="concat"``).
    pooling : {"last", "max", "mean"}
        ``"last"``: the final state of each direction (the seed's model);
        ``"max"``/``"mean"``: pool the outputs of every time step.
    mask_zero : bool
        Let the embedding emit a mask so the LSTM skips padding (id 0).
    dropout : float
        Dropout rate before the output layer, in [0, 1).
    embed_dropout : float
        Spatial dropout (whole embedding channels) after the embedding, in [0, 1).
    learning_rate : float
        Adam's learning rate.
    name : str, optional

    Returns
    -------
    keras.Model
        Input: int token ids, shape (batch, time). Output: P(positive), shape (batch, 1).
        Compiled with Adam, binary cross-entropy and accuracy.
    """
    if vocab_size < 2 or embed_dim < 1 or units < 1:
        raise ValueError(
            f"vocab_size >= 2, embed_dim >= 1 and units >= 1 are required, "
            f"got {vocab_size}, {embed_dim}, {units}"
        )
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    for label, rate in (("dropout", dropout), ("embed_dropout", embed_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=mask_zero, name="embedding")(inputs)
    if embed_dropout:
        x = keras.layers.SpatialDropout1D(embed_dropout, name="embed_dropout")(x)
    lstm = keras.layers.LSTM(units, return_sequences=pooling != "last", name="lstm")
    x = keras.layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    if pooling == "max":
        x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x)
    elif pooling == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(inputs, outputs, name=name or "text_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_seed_model(vocab_size: int = 10_000) -> keras.Model:
    """The seed article's model: Embedding(10000, 128) -> BiLSTM(64) -> Dropout(0.5) -> Dense(1).

    Returns
    -------
    keras.Model
        Compiled with Adam (learning rate 1e-3), binary cross-entropy, accuracy.
    """
    return build_text_classifier(
        vocab_size=vocab_size, embed_dim=128, units=64, bidirectional=True,
        pooling="last", dropout=0.5, name="seed_bilstm",
    )
