"""Recurrent layers: SimpleRNN, LSTM, GRU (and their cells), each call one fused primitive."""

from minikeras.layers.rnn.gru import GRU, GRUCell
from minikeras.layers.rnn.lstm import LSTM, LSTMCell
from minikeras.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = ["GRU", "LSTM", "GRUCell", "LSTMCell", "SimpleRNN", "SimpleRNNCell"]
