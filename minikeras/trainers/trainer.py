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

Beside it: `model_metrics.py` (`model.metrics`, `get_metrics_result`), `on_batch.py`
(`train_on_batch`, ...), `loop_helpers.py`, `logs.py` and `finite_checks.py`.
"""

import inspect

from minikeras import ops
from minikeras.autodiff import GradientTape, no_grad
from minikeras.ops import parallel
from minikeras.trainers import argument_checks, data_adapters, loop_helpers
from minikeras.trainers.compile_utils import CompileLoss, CompileMetrics
from minikeras.trainers.compiled_step import CompiledSteps
from minikeras.trainers.data_adapters import EpochIterator
from minikeras.trainers.finite_checks import check_finite, is_finite
from minikeras.trainers.logs import pythonify
from minikeras.trainers.model_metrics import ModelMetrics
from minikeras.trainers.on_batch import OnBatchMethods
from minikeras.utils.interrupts import InterruptGuard, defer_keyboard_interrupt
from minikeras.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight

_accepts_training = {}  # compute_loss function -> whether it takes a `training` argument


class Trainer(ModelMetrics, OnBatchMethods):
    """The training API mixed into `Model` (see the module docstring)."""

    run_eagerly, jit_compile = False, True  # before compile(), as Keras on JAX gives them

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
        names, struct = self._output_names_for_compile(), vars(self).get("_outputs_struct")
        self._compile_loss = (
            CompileLoss(loss, loss_weights, names, struct) if loss is not None else None
        )
        if loss is None and loss_weights is not None:
            raise ValueError("loss_weights were given but no loss.")
        if metrics is not None or weighted_metrics is not None:
            self._compile_metrics = CompileMetrics(
                metrics, weighted_metrics, names, struct, self._compile_loss
            )
        else:
            self._compile_metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.run_eagerly = run_eagerly
        self.steps_per_execution = steps_per_execution
        jit_compile = argument_checks.resolve_jit_compile(jit_compile, run_eagerly)
        self.jit_compile = jit_compile
        compiled = CompiledSteps(self) if jit_compile else None
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
        """Compiles the model from `get_compile_config`'s dict (see `serialization.py`)."""
        from minikeras.saving.serialization import compile_from_config

        compile_from_config(self, config)

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
        if not is_finite(loss):
            # NaN or infinity in the batch shows up in the loss: name the culprit before
            # any weight changes. (A loss that diverges on clean data is left to the
            # callbacks, such as TerminateOnNaN, as in Keras.)
            check_finite(x, "x")
            check_finite(y, "y")
            check_finite(sample_weight, "sample_weight")
        self._loss_tracker.update_state(loss, sample_weight=loop_helpers.batch_size_of(x))
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
        self._loss_tracker.update_state(loss, sample_weight=loop_helpers.batch_size_of(x))
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
        verbose = loop_helpers.resolve_verbose(verbose)
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
            check_finite(x, "x")
            check_finite(y, "y")
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
                val_x, val_y, val_sample_weight = data_adapters.replay(validation_data), None, None
            if data_adapters.is_array_structure(val_x):  # checked now, not after an epoch
                validation = EpochIterator(val_x, val_y, val_sample_weight, shuffle=False)
                argument_checks.check_not_empty(validation.adapter, "fit", "`validation_data` has")
        epochs = data_adapters.capped_epochs(epochs)
        callbacks = loop_helpers.callback_list(
            self, callbacks, verbose, epochs, iterator.num_batches, add_history=True
        )
        self.stop_training = False
        callbacks.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        epoch_logs, finished = {}, False
        guard = InterruptGuard().__enter__()
        object.__setattr__(self, "_interrupt_guard", guard)
        with parallel.keep_one_blas_thread():  # see ops/parallel.py
            try:
                for epoch in range(initial_epoch, epochs):
                    self.reset_metrics()
                    callbacks.on_epoch_begin(epoch)
                    logs = {}
                    for first, last, group in loop_helpers.groups(
                        iterator, self.steps_per_execution
                    ):
                        callbacks.on_train_batch_begin(first)
                        for batch in group:
                            logs = self.train_step(pack_x_y_sample_weight(*batch))
                        callbacks.on_train_batch_end(last, logs)  # converted there, if read
                        if self.stop_training:
                            break
                    epoch_logs = self._metrics_result_or_logs(pythonify(logs))
                    if validation_data is not None and loop_helpers.should_validate(
                        epoch, validation_freq
                    ):
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
                if self.optimizer is not None and hasattr(
                    self.optimizer, "finalize_variable_values"
                ):
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
        verbose = loop_helpers.resolve_verbose(verbose)
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
        callbacks = loop_helpers.callback_list(
            self, callbacks, verbose, 1, iterator.num_batches, add_history=False
        )
        self.reset_metrics()
        self.stop_evaluating = False  # a callback sets it to end the evaluation early
        callbacks.on_test_begin()
        logs = {}
        with no_grad(), parallel.keep_one_blas_thread():
            for first, last, group in loop_helpers.groups(iterator, self.steps_per_execution):
                callbacks.on_test_batch_begin(first)
                for batch in group:
                    logs = self.test_step(pack_x_y_sample_weight(*batch))
                callbacks.on_test_batch_end(last, logs)  # converted there, if read
                if self.stop_evaluating:
                    break
        logs = self._metrics_result_or_logs(pythonify(logs))
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for `x`, batch by batch, concatenated (numpy)."""
        argument_checks.check_positive_integer(batch_size, "batch_size")
        argument_checks.check_positive_integer(steps, "steps")
        verbose = loop_helpers.resolve_verbose(verbose)
        iterator = EpochIterator(
            x,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=False,
            x_may_hold_y=False,
            steps_per_execution=self.steps_per_execution,
        )
        callbacks = loop_helpers.callback_list(
            self, callbacks, verbose, 1, iterator.num_batches, add_history=False
        )
        self.stop_predicting = False  # a callback sets it to end the prediction early
        callbacks.on_predict_begin()
        batches = []
        with no_grad(), parallel.keep_one_blas_thread():
            for first, last, group in loop_helpers.groups(iterator, self.steps_per_execution):
                callbacks.on_predict_batch_begin(first)
                for batch in group:
                    outputs = self.predict_step(pack_x_y_sample_weight(*batch))
                    batches.append(loop_helpers.numpy_outputs(self, outputs))
                # A group's callback sees its batches' outputs as one, as in Keras.
                outputs = (
                    batches[-1]
                    if len(group) == 1
                    else loop_helpers.concatenate(batches[-len(group) :])
                )
                callbacks.on_predict_batch_end(last, {"outputs": outputs})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        if not batches:
            raise ValueError("predict() received no data.")
        return loop_helpers.concatenate(batches)
