"""The training loop (`Trainer`: compile/fit/evaluate/predict) and its data handling."""
