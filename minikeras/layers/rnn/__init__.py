"""Recurrent layers: SimpleRNN, LSTM, GRU (each call one fused primitive), their cells, the
generic `RNN` wrapper, StackedRNNCells, the Bidirectional and TimeDistributed wrappers, and
the convolutional LSTMs ConvLSTM1D/2D/3D."""

from minikeras.layers.rnn.bidirectional import Bidirectional
from minikeras.layers.rnn.conv_lstm1d import ConvLSTM1D
from minikeras.layers.rnn.conv_lstm2d import ConvLSTM2D
from minikeras.layers.rnn.conv_lstm3d import ConvLSTM3D
from minikeras.layers.rnn.gru import GRU, GRUCell
from minikeras.layers.rnn.lstm import LSTM, LSTMCell
from minikeras.layers.rnn.rnn import RNN
from minikeras.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from minikeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from minikeras.layers.rnn.time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
