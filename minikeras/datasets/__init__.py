"""Datasets (`keras.datasets`): mnist, fashion_mnist, cifar10, and an offline MNIST sample."""

from minikeras.datasets import cifar10, fashion_mnist, mnist

__all__ = ["cifar10", "fashion_mnist", "mnist"]
