"""Callbacks (`keras.callbacks`): objects `fit`, `evaluate` and `predict` call at each
stage, to record (`History`, `CSVLogger`), print (`ProgbarLogger`), stop (`EarlyStopping`,
`TerminateOnNaN`), adjust (`LearningRateScheduler`, `ReduceLROnPlateau`), save
(`ModelCheckpoint`, `BackupAndRestore`) or evaluate with averaged weights (`SwapEMAWeights`).

Example:
    >>> import minikeras as keras
    >>> callbacks = [
    ...     keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
    ...     keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True),
    ... ]
    >>> model.fit(x, y, validation_split=0.2, epochs=50, callbacks=callbacks)
"""

from minikeras.callbacks.backup_and_restore import BackupAndRestore
from minikeras.callbacks.callback import Callback
from minikeras.callbacks.callback_list import CallbackList
from minikeras.callbacks.csv_logger import CSVLogger
from minikeras.callbacks.early_stopping import EarlyStopping
from minikeras.callbacks.history import History
from minikeras.callbacks.lambda_callback import LambdaCallback
from minikeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from minikeras.callbacks.model_checkpoint import ModelCheckpoint
from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.callbacks.progbar_logger import ProgbarLogger
from minikeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from minikeras.callbacks.swap_ema_weights import SwapEMAWeights
from minikeras.callbacks.tensorboard import TensorBoard
from minikeras.callbacks.terminate_on_nan import TerminateOnNaN
from minikeras.callbacks.tqdm_progress_bar import TqdmProgressBar

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
    "TqdmProgressBar",
]
