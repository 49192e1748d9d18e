"""Inductive heads on the (unit-norm) features: a weighted soft-label linear head and a
nearest-class-mean prototype head. Both are small torch models that run on any device."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass
class Standardiser:
    """Centre on the data mean and scale to unit average variance (keeps cosine geometry)."""

    mean: np.ndarray
    scale: float

    @classmethod
    def fit(cls, X: np.ndarray) -> "Standardiser":
        mean = X.mean(axis=0)
        scale = float(np.sqrt(((X - mean) ** 2).sum(axis=1).mean() / X.shape[1])) or 1.0
        return cls(mean=mean.astype(np.float32), scale=scale)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale).astype(np.float32, copy=False)


def class_balanced_weights(targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rescale ``weights`` so every class (by soft target mass) carries the same total."""
    per_class = (targets * weights[:, None]).sum(axis=0)
    present = per_class > 1e-12
    factor = np.where(present, per_class[present].mean() / np.maximum(per_class, 1e-12), 0.0)
    w = weights * (targets @ factor)
    return (w / max(float(w.mean()), 1e-12)).astype(np.float32)


class LinearHead:
    """Multinomial logistic regression on soft targets with sample weights (L-BFGS, torch).

    ``l2`` matches scikit-learn's ``C=1/l2`` on the mean loss; targets may be one-hot or
    propagated distributions, which is how propagated labels get distilled.
    """

    def __init__(self, *, l2: float = 1.0, max_iter: int = 60, device: torch.device,
                 tick: Callable[[], None] | None = None) -> None:
        self.tick = tick
        self.l2 = l2
        self.max_iter = max_iter
        self.device = device
        self.W: torch.Tensor | None = None
        self.b: torch.Tensor | None = None

    def fit(self, Z: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> "LinearHead":
        dev = self.device
        Xt = torch.from_numpy(np.ascontiguousarray(Z)).to(dev)
        Tt = torch.from_numpy(np.ascontiguousarray(targets, dtype=np.float32)).to(dev)
        wt = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float32)).to(dev)
        wt = wt / wt.sum().clamp_min(1e-12)
        d, C = Z.shape[1], targets.shape[1]
        W = torch.zeros(d, C, device=dev, requires_grad=True)
        b = torch.zeros(C, device=dev, requires_grad=True)
        reg = self.l2 / (2.0 * max(float((weights > 0).sum()), 1.0))
        opt = torch.optim.LBFGS(
            [W, b], lr=1.0, max_iter=self.max_iter, line_search_fn="strong_wolfe"
        )

        def closure() -> torch.Tensor:
            if self.tick is not None:
                self.tick()  # raises Cancelled between L-BFGS evaluations
            opt.zero_grad()
            logp = torch.log_softmax(Xt @ W + b, dim=1)
            loss = -(wt * (Tt * logp).sum(dim=1)).sum() + reg * (W * W).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.W, self.b = W.detach(), b.detach()
        return self

    def logits(self, Z: np.ndarray) -> np.ndarray:
        assert self.W is not None and self.b is not None, "fit first"
        with torch.no_grad():
            Xt = torch.from_numpy(np.ascontiguousarray(Z)).to(self.device)
            return (Xt @ self.W + self.b).cpu().numpy()

    def predict_proba(self, Z: np.ndarray) -> np.ndarray:
        return softmax(self.logits(Z))


class PrototypeHead:
    """Nearest class mean under cosine similarity, softmax with a temperature."""

    def __init__(self, *, temperature: float = 0.05) -> None:
        self.temperature = temperature
        self.centres: np.ndarray | None = None

    def fit(self, X: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> "PrototypeHead":
        tw = targets * weights[:, None]
        centres = tw.T @ X / np.maximum(tw.sum(axis=0), 1e-12)[:, None]
        norms = np.linalg.norm(centres, axis=1, keepdims=True)
        self.centres = (centres / np.maximum(norms, 1e-12)).astype(np.float32)
        return self

    def similarity(self, X: np.ndarray) -> np.ndarray:
        assert self.centres is not None, "fit first"
        return X @ self.centres.T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.similarity(X) / self.temperature)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((codes.shape[0], n_classes), dtype=np.float32)
    out[np.arange(codes.shape[0]), codes] = 1.0
    return out
