"""embed: the bundled MiniLM offline, images through a module, callables, caching, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import embedviz
import embedviz.compute.embed as embed_mod
from embedviz.compute.text_model import bundled_model_path

SUBJECTS = ["cat", "dog", "car", "plane", "guitar", "river", "bread", "doctor"]
VERBS = ["sees", "likes", "avoids", "follows", "paints"]
OBJECTS = ["the ball", "a house", "the tree", "a road", "the sky"]
TEXTS = [f"The {s} {v} {o} on day {i}." for i, (s, v, o) in
         enumerate((s, v, o) for s in SUBJECTS for v in VERBS for o in OBJECTS)]


@pytest.fixture(scope="module")
def text_vectors() -> np.ndarray:
    return embedviz.embed(TEXTS, progress=False, cache=False, device="cpu")


def test_bundled_minilm_matches_sentence_transformers(text_vectors) -> None:
    from sentence_transformers import SentenceTransformer

    assert text_vectors.shape == (len(TEXTS), 384) and text_vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(text_vectors, axis=1), 1.0, atol=1e-5)
    ref = SentenceTransformer(str(bundled_model_path()), device="cpu").encode(
        TEXTS[:40], normalize_embeddings=True)
    np.testing.assert_allclose(text_vectors[:40], ref, atol=1e-5)


def test_similar_sentences_are_nearer() -> None:
    X = embedviz.embed(["A cat sits on the mat.", "A kitten rests on a rug.",
                        "Stock markets fell sharply today."], progress=False)
    assert X[0] @ X[1] > X[0] @ X[2] + 0.3


def test_second_call_is_served_from_the_cache(monkeypatch: pytest.MonkeyPatch, text_vectors) -> None:
    calls = []
    real = embed_mod._encode
    monkeypatch.setattr(embed_mod, "_encode", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = embedviz.embed(TEXTS[:50], progress=False)
    second = embedviz.embed(TEXTS[:50], progress=False)
    assert len(calls) == 1
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, text_vectors[:50], atol=1e-5)
    embedviz.embed(TEXTS[:50], progress=False, normalize=False)  # other params: new entry
    assert len(calls) == 2


class TinyImageNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(3 * 8 * 8, 16)
        gen = torch.Generator().manual_seed(0)  # the test's own seed, not the process's
        with torch.no_grad():
            self.proj.weight.copy_(0.1 * torch.randn(self.proj.weight.shape, generator=gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.flatten(1))


def test_images_from_arrays_pil_and_paths_agree(tmp_path) -> None:
    rng = np.random.default_rng(0)
    arrays = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    paths = []
    for i, arr in enumerate(arrays):
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(arr).save(paths[-1])
    net = TinyImageNet()
    from_arrays = embedviz.embed(arrays, model=net, progress=False, normalize=False, batch_size=2)
    from_pil = embedviz.embed([Image.fromarray(a) for a in arrays], model=net, progress=False,
                              normalize=False)
    from_paths = embedviz.embed([str(p) for p in paths], model=net, progress=False, normalize=False)
    expected = net(torch.from_numpy(arrays).permute(0, 3, 1, 2).float().div(255)).detach().numpy()
    np.testing.assert_allclose(from_arrays, expected, atol=1e-5)
    np.testing.assert_allclose(from_pil, expected, atol=1e-5)
    np.testing.assert_allclose(from_paths, expected, atol=1e-5)
    with_tf = embedviz.embed(arrays, model=net, transform=lambda img: torch.zeros(3, 8, 8),
                             progress=False, normalize=False)
    np.testing.assert_allclose(with_tf, np.repeat(net.proj.bias.detach().numpy()[None], 5, 0), atol=1e-6)


def test_any_callable_is_batched_and_normalised() -> None:
    seen = []

    def featurise(batch: list[str]) -> np.ndarray:
        seen.append(len(batch))
        return np.array([[len(s), s.count("a") + 1.0] for s in batch])

    X = embedviz.embed(["a", "bb", "aaa"] * 5, model=featurise, batch_size=4, progress=False)
    assert seen == [4, 4, 4, 3]
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)


def test_batch_size_accepts_numpy_integers_and_refuses_bools() -> None:
    seen = []
    X = embedviz.embed(list("abcdefghij"), batch_size=np.int64(4), progress=False,
                       model=lambda b: seen.append(len(b)) or np.ones((len(b), 3)))
    assert X.shape == (10, 3) and seen == [4, 4, 2]
    for bad in (True, 2.0, np.int64(0)):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            embedviz.embed(["a"], model=lambda b: np.ones((1, 3)), batch_size=bad, progress=False)


V = np.arange(24, dtype=np.float32).reshape(6, 4) + 1  # the vectors of items 0-5


@pytest.mark.parametrize(("fn", "error", "match"), [
    (lambda b: V[: len(b)].T, ValueError, r"items 0-5 \(6 items\) it returned shape \(4, 6\).*out\.T"),
    (lambda b: V[:1], ValueError, r"row i for batch\[i\].*shape \(1, 4\)"),
    (lambda b: np.ones((len(b) + 1, 4)), ValueError, r"\(6 items\) it returned shape \(7, 4\)"),
    (lambda b: V[: len(b), 0], ValueError, r"shape \(6,\).*reshape\(-1, 1\)"),
    (lambda b: None, TypeError, "must return a .* numeric array.*None"),
    (lambda b: list(b), TypeError, "must return a .* numeric array.*list"),
    (lambda b: np.where(np.array(b)[:, None] == "i4", np.nan, V[: len(b)]), ValueError,
     r"NaN or inf values: rows \[4\]\. Make it return finite numbers"),
])
def test_callable_output_is_checked(fn, error, match) -> None:
    with pytest.raises(error, match=match):
        embedviz.embed([f"i{i}" for i in range(6)], model=fn, progress=False, normalize=False)


def test_callable_output_width_must_not_change_between_batches() -> None:
    with pytest.raises(ValueError, match=r"same d for every batch; for items 4-5 it returned d=2 after "
                                          r"d=4"):
        embedviz.embed(list("abcdef"), model=lambda b: np.ones((len(b), len(b))), batch_size=4,
                       progress=False)


def test_bad_inputs_name_the_fix(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist.*model=None"):
        embedviz.embed(["x"], model=str(tmp_path / "nope"), progress=False)
    with pytest.raises(TypeError, match=r"1 item\(s\) are not strings.*fillna"):
        embedviz.embed(["ok", None, "fine"], progress=False)
    with pytest.raises(TypeError, match="single string"):
        embedviz.embed("just one text", progress=False)
    with pytest.raises(ValueError, match="empty"):
        embedviz.embed([], progress=False)
    with pytest.raises(FileNotFoundError, match="Image file"):
        embedviz.embed([str(tmp_path / "missing.png")], model=TinyImageNet(), progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_cuda_without_cuda() -> None:
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        embedviz.embed(["x"], device="cuda", progress=False)


@pytest.mark.gpu
def test_gpu_half_precision_keeps_accuracy(text_vectors) -> None:
    gpu = embedviz.embed(TEXTS, device="cuda", progress=False, cache=False)
    cosine = (gpu * text_vectors).sum(1)
    assert cosine.min() > 0.999
