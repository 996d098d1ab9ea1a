"""Convolution layers (Keras 3 names): Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
SeparableConv2D, with Keras's `Convolution*` aliases."""

from minikeras.layers.convolutional.conv1d import Conv1D
from minikeras.layers.convolutional.conv2d import Conv2D
from minikeras.layers.convolutional.conv2d_transpose import Conv2DTranspose
from minikeras.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from minikeras.layers.convolutional.separable_conv2d import SeparableConv2D

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "SeparableConvolution2D",
]
