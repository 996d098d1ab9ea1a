"""Smoke test of examples/transformer_block.py with tiny settings (the pattern of
tests/test_examples.py): the Transformer block learns to reverse digit sequences well
above chance."""

from tests.test_examples import load_example


def test_transformer_block_example_learns_to_reverse_sequences(capsys):
    example = load_example("transformer_block")
    result = example.main(["--epochs", "8", "--samples", "800", "--verbose", "0"])
    history = result["history"]
    assert set(history) == {"loss", "accuracy"}
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert result["accuracy"] > 0.5  # ten digits: chance is 0.1
    assert "Per-token accuracy on new sequences" in capsys.readouterr().out
