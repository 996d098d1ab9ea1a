"""`compile`, `fit`, `evaluate`, `predict`: the training API every Model has.

The loop is split the Keras way:
- data adapter (`data_adapters.EpochIterator`): batches from arrays, generators, PyDatasets;
- step functions (`train_step`, `test_step`, `predict_step`), each overridable, built on
  `compute_loss` and `compute_metrics`, also overridable;
- epoch loop with callbacks (`fit`, `evaluate`, `predict`).

Logged values: `loss` is the running mean over the epoch of each batch's total loss (the
compiled loss plus `model.losses`), weighted by batch size; every metric is reset at the
start of each epoch and of each evaluation. Log keys are sorted, as Keras does.

Compiled steps: as Keras compiles its steps by default (`jit_compile="auto"`), the default
`train_step` and `test_step` of a model made of vetted layers and a built-in loss record
their forward pass, loss and gradients once per batch shape and then replay the recording
(`compiled_step.py`); so does the default `predict_step`, for the forward pass alone.
`run_eagerly=True` or `jit_compile=False` turn that off; everything else always runs
eagerly. `compile(steps_per_execution=N)` runs the batches in groups of N between batch
callbacks, as Keras does (each batch still one step).
"""

import inspect
import math
import sys

import numpy as np

from minikeras import ops
from minikeras.autodiff import GradientTape, Tensor, no_grad
from minikeras.trainers import argument_checks, data_adapters
from minikeras.trainers.compile_utils import CompileLoss, CompileMetrics
from minikeras.trainers.compiled_step import CompiledSteps
from minikeras.trainers.data_adapters import EpochIterator, flatten, map_structure
from minikeras.utils.interrupts import InterruptGuard, defer_keyboard_interrupt
from minikeras.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight

_accepts_training = {}  # compute_loss function -> whether it takes a `training` argument


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return verbose


def _batch_size_of(x):
    if isinstance(x, np.ndarray):  # the common case, without flattening a structure
        return int(x.shape[0]) if x.ndim else 1
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    return int(leaves[0].shape[0]) if leaves and len(leaves[0].shape) else 1


def _to_float(value):
    if type(value) is float:
        return value
    if isinstance(value, dict):
        return {k: _to_float(v) for k, v in value.items()}
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    # A metric of shape (1,) (F1Score on one class) stays an array, as in Keras.
    return float(array) if array.ndim == 0 else array


def _all_finite(array):
    """Whether a float array holds no NaN and no infinity."""
    if array.ndim >= 2 and array.dtype in (np.float32, np.float64) and array.flags.c_contiguous:
        # One BLAS pass over the data: a NaN or an infinity makes its row's sum non-finite.
        with np.errstate(over="ignore", invalid="ignore"):
            row_sums = array.reshape(-1, array.shape[-1]) @ np.ones(array.shape[-1], array.dtype)
        if np.isfinite(row_sums).all():
            return True
        # Not finite: a NaN or infinity, or only a sum of huge values that overflowed.
    # min and max propagate NaN and reveal infinities without a full-size temporary.
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def _is_finite(value):
    """Whether a loss value (a tensor, usually a scalar) holds no NaN and no infinity."""
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.ndim == 0:
        return math.isfinite(data)
    return data.size == 0 or _all_finite(data)


def _check_finite(data, what):
    for leaf in flatten(data):
        array = leaf.data if isinstance(leaf, Tensor) else leaf
        if isinstance(array, np.ndarray) and array.dtype.kind == "f" and array.size:
            if not _all_finite(array):
                raise ValueError(
                    f"`{what}` contains NaN or infinite values; training on them would make "
                    "the weights NaN. Clean the data first (e.g. np.nan_to_num)."
                )


class Trainer:
    """The training API mixed into `Model` (see the module docstring)."""

    def _init_trainer(self):
        object.__setattr__(self, "compiled", False)
        object.__setattr__(self, "optimizer", None)
        object.__setattr__(self, "loss", None)
        object.__setattr__(self, "_compile_loss", None)
        object.__setattr__(self, "_compile_metrics", None)
        object.__setattr__(self, "_loss_tracker", None)
        object.__setattr__(self, "stop_training", False)
        object.__setattr__(self, "history", None)
        object.__setattr__(self, "_initial_epoch", None)
        object.__setattr__(self, "steps_per_execution", 1)
        object.__setattr__(self, "_compiled_steps", None)

    # -- compile ----------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configures the model for training.

        Args:
            optimizer: name or Optimizer instance ("rmsprop" by default).
            loss: loss name, function or Loss instance; a list (one per output) or a dict
                keyed by output name. None when the model adds its own losses (add_loss).
            loss_weights: scalars weighting the per-output losses (list or dict).
            metrics: list of metrics (names, functions, Metric instances), or a list/dict
                per output; "accuracy" picks binary/categorical/sparse by shapes. Metrics
                ignore sample and class weights.
            weighted_metrics: like metrics, but weighted by sample_weight/class_weight.
            run_eagerly: True to run every step eagerly, layer by layer (for debugging).
            jit_compile: `"auto"` (default) or True: the default train, test and predict
                steps record and replay their computation when the model allows it (see
                `trainers/compiled_step.py`); False: always eager.
            steps_per_execution: how many batches each step call runs (1 by default). As
                in Keras, the batch callbacks run once per group of that many batches:
                `on_*_batch_begin` with the index of its first batch, `on_*_batch_end` with
                that index plus `steps_per_execution - 1` (even past the last batch), with
                the logs after the group's last batch (for `predict`, the group's outputs
                concatenated). Every batch still updates the weights: the numbers are
                those of `steps_per_execution=1`.
            auto_scale_loss: accepted for compatibility (loss scaling is the optimizer's
                `loss_scale_factor`).

        Example:
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
            ...               metrics=["accuracy"])
        """
        from minikeras import metrics as metrics_module
        from minikeras import optimizers

        if steps_per_execution is None:
            raise ValueError("`steps_per_execution` must be a positive integer, received None.")
        argument_checks.check_positive_integer(steps_per_execution, "steps_per_execution")
        self.optimizer = optimizers.get(optimizer)
        object.__setattr__(self, "loss", loss)  # the argument as given, as Keras keeps it
        output_names = self._output_names_for_compile()
        self._compile_loss = (
            CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        )
        if loss is None and loss_weights is not None:
            raise ValueError("loss_weights were given but no loss.")
        if metrics is not None or weighted_metrics is not None:
            self._compile_metrics = CompileMetrics(
                metrics, weighted_metrics, output_names, getattr(self, "_outputs_struct", None)
            )
        else:
            self._compile_metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.run_eagerly = run_eagerly
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        compiled = None
        if not run_eagerly and jit_compile is not False:
            compiled = CompiledSteps(self)
        object.__setattr__(self, "_compiled_steps", compiled)
        self._compile_config = {
            "optimizer": self.optimizer,  # the resolved object, as Keras stores it
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self.compiled = True

    def _output_names_for_compile(self):
        names = getattr(self, "output_names", None)
        return list(names) if names else None

    @property
    def compiled_loss(self):
        return self._compile_loss

    @property
    def compiled_metrics(self):
        return self._compile_metrics

    def get_compile_config(self):
        """The arguments `compile` was called with, if they can be serialized."""
        if not self.compiled:
            return None
        from minikeras.saving.serialization import serialize_keras_object

        return {key: serialize_keras_object(value) for key, value in self._compile_config.items()}

    def compile_from_config(self, config):
        """Compiles the model from the dict returned by `get_compile_config`."""
        from minikeras.saving.serialization import deserialize_keras_object

        self.compile(**{key: deserialize_keras_object(value) for key, value in config.items()})

    def _assert_compiled(self, method):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before calling `{method}()`, e.g. "
                "model.compile(optimizer='adam', loss='mse')."
            )

    # -- losses and metrics -----------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss plus the sum of `model.losses`.

        Override it to compute a loss from anything available here (inputs, targets,
        predictions), as the Keras Model docs show.
        """
        terms = []
        if self._compile_loss is not None:
            value = self._compile_loss(y, y_pred, sample_weight)
            if value is not None:
                terms.append(value)
        for extra in self.losses:
            terms.append(ops.sum(extra))
        if not terms:
            raise ValueError(
                "No loss to compute: pass a `loss` to `compile()`, or add losses inside the "
                "model with `add_loss`."
            )
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """Calls `compute_loss`, passing `training` only to overrides that accept it (the
        Keras 2 signature has no `training` argument)."""
        method = type(self).compute_loss
        accepts = _accepts_training.get(method)
        if accepts is None:
            accepts = _accepts_training[method] = "training" in inspect.signature(method).parameters
        if accepts:
            return self.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
            )
        return self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns every metric's value."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    @property
    def metrics(self):
        """The model's metrics, in Keras's order: once compiled, the loss tracker (a `Mean`
        named "loss"), the compiled metrics (one `CompileMetrics` object named
        "compile_metrics", whose `result()` is a dict), the per-output loss trackers (made
        on the first batch); then the metrics the model and its layers hold as attributes.
        A nested model's own metrics (its loss tracker, its compiled metrics) are left out.
        """
        # Cached until the model's structure changes, it is compiled, or its first batch
        # builds the per-output loss trackers.
        compile_loss = self._compile_loss
        key = (
            "trainer_metrics",
            id(self._loss_tracker),
            id(self._compile_metrics),
            id(compile_loss),
            compile_loss is not None and compile_loss.built,
        )
        return list(self._cached(key, self._collect_metrics))

    def _collect_metrics(self):
        from minikeras.metrics import Metric

        result = []
        if self.compiled:
            result.append(self._loss_tracker)
            if self._compile_metrics is not None:
                result.append(self._compile_metrics)
            if self._compile_loss is not None:
                result.extend(self._compile_loss.metrics)
        seen = {id(metric) for metric in result}
        seen.update((id(self._loss_tracker), id(self._compile_metrics)))
        for layer in self._flatten_layers():
            if layer is not self and isinstance(layer, Trainer):
                continue  # its metrics belong to its own compile (its layers are visited)
            for metric in layer._tracked(Metric):
                if id(metric) not in seen:
                    seen.add(id(metric))
                    result.append(metric)
        return result

    @property
    def metrics_names(self):
        """The names of `model.metrics` (`["loss", "compile_metrics"]` after
        `compile(loss=..., metrics=[...])`), as in Keras 3."""
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        """Resets the state of every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def _metrics_result_or_logs(self, logs):
        """The metrics' values, or the last step's logs when a custom step returned other
        keys (as Keras does for overridden train_step/test_step)."""
        results = _pythonify(self.get_metrics_result())
        compile_metrics = self._compile_metrics
        # Unbuilt compiled metrics (a custom step that never updated them) have names that
        # Keras, which builds them before the first step, counts among the results' keys.
        unbuilt = compile_metrics is not None and not compile_metrics.built
        if isinstance(logs, dict) and (unbuilt or set(logs) != set(results)):
            return dict(logs)
        return results

    def get_metrics_result(self):
        """`{name: value}` for every metric in `model.metrics`, each value as its `result()`
        gives it (a tensor), as Keras returns them; a metric whose result is a dict (the
        compiled metrics) adds its entries instead of itself.

        The default `train_step` returns this for every batch. The loops turn it into
        Python floats with sorted keys (what the callbacks receive) only where it is read:
        a batch's logs when a callback listens to the batch's end, the epoch's logs, and
        what `evaluate` and the `*_on_batch` methods return; so a batch nobody watches
        pays for no conversion.
        """
        results = {}
        for metric in self.metrics:
            if metric is self._compile_metrics and not metric.built:
                continue  # no batch has reached them yet (Keras builds them before the first)
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def _flatten_metrics_in_order(self, logs):
        """The list form of `logs` that `evaluate` and the `*_on_batch` methods return, as
        Keras orders it: the values named in `model.metrics` order, then the other keys
        sorted; a single value is returned alone."""
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                # The inner metrics' own names: with several outputs these are not the log
                # keys ("mse" logs as "out_a_mse"), which then come with the sorted rest.
                names.extend(inner.name for inner in metric.metrics)
            else:
                names.append(metric.name)
        values = [logs[name] for name in names if name in logs]
        values.extend(logs[key] for key in sorted(logs) if key not in names)
        return values[0] if len(values) == 1 else values

    # -- steps ------------------------------------------------------------------------------
    def train_step(self, data):
        """One optimisation step on a batch; returns the logs. Override for custom training.

        The forward pass, the loss and its gradients (recorded once and replayed when the
        model allows it, see `compiled_step.py`), the loss tracker, the weight update, then
        the metrics.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        compiled = self._compiled_steps
        if compiled is None or self.run_eagerly:
            y_pred, loss, gradients, variables = self._eager_gradients(x, y, sample_weight)
        else:
            y_pred, loss, gradients, variables = compiled.gradients(x, y, sample_weight)
        if not _is_finite(loss):
            # NaN or infinity in the batch shows up in the loss: name the culprit before
            # any weight changes. (A loss that diverges on clean data is left to the
            # callbacks, such as TerminateOnNaN, as in Keras.)
            _check_finite(x, "x")
            _check_finite(y, "y")
            _check_finite(sample_weight, "sample_weight")
        self._loss_tracker.update_state(loss, sample_weight=_batch_size_of(x))
        guard = self.__dict__.get("_interrupt_guard")
        with guard.critical() if guard is not None else defer_keyboard_interrupt():
            self.optimizer.apply(gradients, variables)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _eager_gradients(self, x, y, sample_weight):
        """The forward pass, the loss and its gradients, computed eagerly with a tape.

        Returns `(y_pred, loss, gradients, variables)`: the gradients of the loss scaled by
        the optimizer (`scale_loss`), one per trainable weight (`variables`, read after the
        forward pass, which may have created them).
        """
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)
        variables = self.trainable_weights
        return y_pred, loss, tape.gradient(scaled, variables), variables

    def _eager_outputs(self, x, y, sample_weight):
        """The predictions and the loss of a batch, computed eagerly (for `test_step`)."""
        y_pred = self(x, training=False)
        return y_pred, self._compute_loss(x, y, y_pred, sample_weight, training=False)

    def test_step(self, data):
        """Evaluates one batch (no gradients); returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        compiled = self._compiled_steps
        if compiled is None or self.run_eagerly:
            y_pred, loss = self._eager_outputs(x, y, sample_weight)
        else:
            y_pred, loss = compiled.outputs(x, y, sample_weight)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _eager_predictions(self, x, y=None, sample_weight=None):
        """The predictions of a batch, computed eagerly, as `(y_pred,)` (for `predict_step`)."""
        return (self(x, training=False),)

    def predict_step(self, data):
        """The model's outputs for one batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        compiled = self._compiled_steps
        if compiled is None or self.run_eagerly:
            return self(x, training=False)
        return compiled.predictions(x)[0]

    # -- loops ------------------------------------------------------------------------------
    def _callback_list(self, callbacks, verbose, epochs, steps, add_history):
        from minikeras.callbacks import CallbackList

        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(
            callbacks,
            add_history=add_history,
            add_progbar=verbose != 0,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
            model=self,
        )

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains the model for `epochs` epochs; returns the `History`.

        Follows Keras 3: batches of 32 by default with the last one partial;
        `validation_split` takes the LAST fraction of the arrays, before shuffling; a new
        permutation each epoch (`shuffle="batch"` shuffles within batches); `class_weight`
        becomes sample weights; validation runs `evaluate` and prefixes its logs with `val_`.
        """
        self._assert_compiled("fit")
        argument_checks.check_epochs(epochs)
        for name, value in (
            ("batch_size", batch_size),
            ("validation_batch_size", validation_batch_size),
            ("steps_per_epoch", steps_per_epoch),
            ("validation_steps", validation_steps),
        ):
            argument_checks.check_positive_integer(value, name)
        argument_checks.check_class_weight(class_weight, self)
        verbose = _resolve_verbose(verbose)
        if validation_split and validation_data is None:
            if not data_adapters.is_array_structure(x):
                raise ValueError("validation_split is only supported for arrays.")
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                x, y, sample_weight, validation_split
            )
        elif validation_split and not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
        if type(self).train_step is not Trainer.train_step and data_adapters.is_array_structure(x):
            # The default step checks each batch whose loss is not finite (see train_step);
            # a custom step may not, so its arrays are checked once, up front.
            _check_finite(x, "x")
            _check_finite(y, "y")
        iterator = EpochIterator(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            shuffle=shuffle,
            class_weight=class_weight,
            steps_per_execution=self.steps_per_execution,
        )
        argument_checks.check_not_empty(iterator.adapter, "fit")
        argument_checks.check_sparse_labels(self._compile_loss, iterator.adapter)
        if validation_data is not None:
            if isinstance(validation_data, (tuple, list)):
                val_x, val_y, val_sample_weight = unpack_x_y_sample_weight(tuple(validation_data))
            else:
                val_x, val_y, val_sample_weight = validation_data, None, None
            if data_adapters.is_array_structure(val_x):  # checked now, not after an epoch
                validation = EpochIterator(val_x, val_y, val_sample_weight, shuffle=False)
                argument_checks.check_not_empty(validation.adapter, "fit", "`validation_data` has")
        epochs = data_adapters.capped_epochs(epochs)
        callbacks = self._callback_list(
            callbacks, verbose, epochs, iterator.num_batches, add_history=True
        )
        self.stop_training = False
        callbacks.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        epoch_logs, finished = {}, False
        guard = InterruptGuard().__enter__()
        object.__setattr__(self, "_interrupt_guard", guard)
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                logs = {}
                for first, last, group in _groups(iterator, self.steps_per_execution):
                    callbacks.on_train_batch_begin(first)
                    for batch in group:
                        logs = self.train_step(pack_x_y_sample_weight(*batch))
                    if callbacks.listens("on_train_batch_end"):  # else nobody reads them
                        logs = _pythonify(logs)
                    callbacks.on_train_batch_end(last, logs)
                    if self.stop_training:
                        break
                epoch_logs = self._metrics_result_or_logs(_pythonify(logs))
                if validation_data is not None and _should_validate(epoch, validation_freq):
                    val_logs = self.evaluate(
                        val_x,
                        val_y,
                        sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size,
                        steps=validation_steps,
                        callbacks=callbacks,
                        return_dict=True,
                        verbose=0,
                    )
                    epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            finished = True
        finally:
            guard.__exit__(None, None, None)
            object.__setattr__(self, "_interrupt_guard", None)
            if self.optimizer is not None and hasattr(self.optimizer, "finalize_variable_values"):
                self.optimizer.finalize_variable_values(self.trainable_weights)
            if finished:
                callbacks.on_train_end(logs=epoch_logs)
        return self.history

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """Returns the loss and metrics on the given data (a float, a list, or a dict)."""
        self._assert_compiled("evaluate")
        argument_checks.check_positive_integer(batch_size, "batch_size")
        argument_checks.check_positive_integer(steps, "steps")
        verbose = _resolve_verbose(verbose)
        iterator = EpochIterator(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=False,
            steps_per_execution=self.steps_per_execution,
        )
        argument_checks.check_not_empty(iterator.adapter, "evaluate")
        callbacks = self._callback_list(
            callbacks, verbose, 1, iterator.num_batches, add_history=False
        )
        self.reset_metrics()
        self.stop_evaluating = False  # a callback sets it to end the evaluation early
        callbacks.on_test_begin()
        logs = {}
        with no_grad():
            for first, last, group in _groups(iterator, self.steps_per_execution):
                callbacks.on_test_batch_begin(first)
                for batch in group:
                    logs = self.test_step(pack_x_y_sample_weight(*batch))
                if callbacks.listens("on_test_batch_end"):  # else nobody reads them
                    logs = _pythonify(logs)
                callbacks.on_test_batch_end(last, logs)
                if self.stop_evaluating:
                    break
        logs = self._metrics_result_or_logs(_pythonify(logs))
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for `x`, batch by batch, concatenated (numpy)."""
        argument_checks.check_positive_integer(batch_size, "batch_size")
        argument_checks.check_positive_integer(steps, "steps")
        verbose = _resolve_verbose(verbose)
        iterator = EpochIterator(
            x,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=False,
            x_may_hold_y=False,
            steps_per_execution=self.steps_per_execution,
        )
        callbacks = self._callback_list(
            callbacks, verbose, 1, iterator.num_batches, add_history=False
        )
        self.stop_predicting = False  # a callback sets it to end the prediction early
        callbacks.on_predict_begin()
        batches = []
        with no_grad():
            for first, last, group in _groups(iterator, self.steps_per_execution):
                callbacks.on_predict_batch_begin(first)
                for batch in group:
                    outputs = self.predict_step(pack_x_y_sample_weight(*batch))
                    batches.append(map_structure(np.asarray, outputs))
                # A group's callback sees its batches' outputs as one, as in Keras.
                outputs = batches[-1] if len(group) == 1 else _concatenate(batches[-len(group) :])
                callbacks.on_predict_batch_end(last, {"outputs": outputs})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        if not batches:
            raise ValueError("predict() received no data.")
        return _concatenate(batches)

    # -- single batches ---------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss and metrics of that batch alone
        (the metrics are reset first, as in Keras 3)."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` together.")
            sample_weight = data_adapters.class_weight_to_sample_weights(y, class_weight)
        self.reset_metrics()
        logs = _pythonify(self.train_step(pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch; returns the loss and metrics of that batch alone (the
        metrics are reset first, as in Keras 3)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        with no_grad():
            logs = _pythonify(self.test_step(pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy arrays."""
        with no_grad():
            return map_structure(np.asarray, self.predict_step(pack_x_y_sample_weight(x)))


def _pythonify(logs):
    """Logs with float values and sorted keys; a dict value (such as the compiled metrics'
    result in `{m.name: m.result() for m in self.metrics}`) is merged in, as Keras does."""
    if not isinstance(logs, dict):
        return logs
    result = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(_pythonify(value))
        else:
            result[key] = _to_float(value)
    return result


def _groups(iterator, size):
    """`(first, last, batches)` for each run of `size` batches of an epoch, as Keras's
    `steps_per_execution` groups them: `first` is the index of the first batch, `last` is
    `first + size - 1` even when the epoch ends before (Keras reports that index too)."""
    if size == 1:
        for step, batch in iterator:
            yield step, step, (batch,)
        return
    group, first = [], 0
    for step, batch in iterator:
        if not group:
            first = step
        group.append(batch)
        if len(group) == size:
            yield first, first + size - 1, group
            group = []
    if group:
        yield first, first + size - 1, group


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(
        f"validation_freq must be an int or a list of epochs, got {validation_freq!r}."
    )


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        items = [_concatenate([b[i] for b in batches]) for i in range(len(first))]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    return np.concatenate(batches, axis=0)
