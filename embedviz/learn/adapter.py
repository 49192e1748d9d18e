"""A small torch MLP adapter trained FixMatch-style on precomputed embeddings.

Labelled points (class-balanced, weighted by 1 - noise) plus confidence-thresholded pseudo-labels
from a teacher (propagation) blended with the model's own weak-view prediction. Augmentation
lives in feature space: input dropout, Gaussian noise and mixup. Pseudo-labels are re-balanced
per batch so big classes do not swallow small ones; the per-class threshold scales with that
class's running confidence (a dynamic, curriculum-style threshold).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from embedviz.learn.head import Features, as_tensor


class Adapter:
    """MLP ``d -> hidden -> C``; ``fit`` then ``predict_proba`` / ``hidden``."""

    def __init__(
        self,
        *,
        hidden: int = 128,
        steps: int = 200,
        batch_size: int = 128,
        lr: float = 3e-3,
        threshold: float = 0.8,
        input_dropout: float = 0.2,
        noise: float = 0.3,
        mixup: float = 0.4,
        device: torch.device,
        seed: int = 0,
    ) -> None:
        self.hidden, self.steps, self.batch_size, self.lr = hidden, steps, batch_size, lr
        self.threshold, self.input_dropout, self.noise, self.mixup = (
            threshold, input_dropout, noise, mixup)
        self.device, self.seed = device, seed
        self.net: nn.Sequential | None = None

    def _build(self, d: int, C: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Linear(d, self.hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(self.hidden, C)
        ).to(self.device)

    def _strong(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        keep = (torch.rand(x.shape, generator=gen, device=x.device) > self.input_dropout)
        x = x * keep / (1.0 - self.input_dropout)
        return x + self.noise * torch.randn(x.shape, generator=gen, device=x.device)

    def fit(
        self,
        Z: Features,
        labelled: np.ndarray,
        targets: np.ndarray,
        weights: np.ndarray,
        teacher: np.ndarray,
        *,
        tick: Callable[[], None] | None = None,
    ) -> "Adapter":
        """``targets``/``weights`` for the ``labelled`` rows; ``teacher`` (n, C) for all rows."""
        dev = self.device
        torch.manual_seed(self.seed)
        gen = torch.Generator(device=dev).manual_seed(self.seed)
        n, C = teacher.shape
        Xt = as_tensor(Z, dev)
        Tt = torch.from_numpy(np.ascontiguousarray(teacher, dtype=np.float32)).to(dev)
        lab = torch.from_numpy(labelled.astype(np.int64)).to(dev)
        lab_T = torch.from_numpy(np.ascontiguousarray(targets, dtype=np.float32)).to(dev)
        lab_w = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float32)).to(dev)
        sample_p = lab_w / lab_w.sum().clamp_min(1e-12)
        net = self._build(Z.shape[1], C)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=1e-3,
                                fused=dev.type == "cuda")
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=self.steps)
        class_conf = torch.full((C,), 0.5, device=dev)
        bs = self.batch_size
        for step in range(self.steps):
            net.train()
            li = torch.multinomial(sample_p, bs, replacement=True, generator=gen)
            xl, tl = Xt[lab[li]], lab_T[li]
            lam = float(np.random.default_rng(self.seed + step).beta(self.mixup, self.mixup))
            perm = torch.randperm(bs, generator=gen, device=dev)
            xm = lam * xl + (1 - lam) * xl[perm]
            tm = lam * tl + (1 - lam) * tl[perm]
            loss = -(tm * torch.log_softmax(net(self._strong(xm, gen)), 1)).sum(1).mean()
            ui = torch.randint(0, n, (2 * bs,), generator=gen, device=dev)
            xu = Xt[ui]
            with torch.no_grad():
                net.eval()
                weak = torch.softmax(net(xu), 1)
                net.train()
                q = 0.5 * Tt[ui] + 0.5 * weak
                conf, pseudo = q.max(1)
                class_conf = 0.95 * class_conf + 0.05 * torch.zeros_like(class_conf).scatter_reduce(
                    0, pseudo, conf, reduce="mean", include_self=False)
                thr = self.threshold * class_conf[pseudo] / class_conf.max().clamp_min(1e-6)
                mask = (conf >= thr).float() * conf
                # index_add, not bincount: bincount waits for the GPU at every step
                counts = torch.zeros(C, device=dev).index_add_(0, pseudo, mask)
                balance = (counts.sum() / (C * counts.clamp_min(1.0)))[pseudo]
                w_u = mask * balance.clamp(max=5.0)
            logp_u = torch.log_softmax(net(self._strong(xu, gen)), 1)
            loss_u = -(w_u * logp_u.gather(1, pseudo[:, None]).squeeze(1)).sum() / (2 * bs)
            opt.zero_grad()
            (loss + loss_u).backward()
            opt.step()
            sched.step()
            if tick is not None and step % 20 == 0:
                tick()
        net.eval()
        self.net = net
        return self

    def predict_proba(self, Z: Features) -> np.ndarray:
        assert self.net is not None, "fit first"
        with torch.no_grad():
            out = [torch.softmax(self.net(as_tensor(Z[s:s + 65536], self.device)), 1)
                   for s in range(0, Z.shape[0], 65536)]
        return torch.cat(out).cpu().numpy().astype(np.float32)
