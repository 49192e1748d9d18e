"""A small torch MLP adapter trained FixMatch-style on precomputed embeddings.

Labelled points (class-balanced, weighted by 1 - noise) plus confidence-thresholded pseudo-labels
from a teacher (propagation) blended with the model's own weak-view prediction. Augmentation
lives in feature space: input dropout, Gaussian noise and mixup. Pseudo-labels are re-balanced
per batch so big classes do not swallow small ones; the per-class threshold scales with that
class's running confidence (a dynamic, curriculum-style threshold).

Several adapters (one per cross-validation fold and the final one) train together as one
stack of MLPs: the same number of steps, each on its own seeds and teacher, in batched
matmuls. On an H100 four adapters trained one after the other took 3.0 s of a 9.6 s retrain
at n = 1e6, nearly all of it kernel launches and Python.

Every random draw of a training (initial weights, batches, mixup, augmentation rows, dropout
rows) is made up front from one seeded CPU generator, so the step itself draws nothing: the
same seed gives the same numbers on every device and in every way of running the step (a
CUDA graph, eager with fused or plain AdamW), and the process's global RNG is never touched.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as nnf

from embedviz.compute.device import is_accelerator_failure, notice, on_device
from embedviz.learn.head import Features, as_tensor

OnStep = Callable[[float], None]

#: Rows in each augmentation bank (dropout masks, noise) of ``_StackTraining``.
AUGMENTATION_BANK = 4096


@dataclass(frozen=True)
class AdapterTask:
    """One adapter to train: its ``labelled`` rows with their ``targets`` (L, C) and
    ``weights`` (L,), and a ``teacher`` distribution (n, C) for every row."""

    labelled: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    teacher: np.ndarray


#: Dropout rate of the hidden layer while training.
HIDDEN_DROPOUT = 0.1


class StackedMLP(nn.Module):
    """K independent MLPs ``d -> hidden -> C`` (GELU, dropout 0.1) run as batched matmuls;
    inputs are (K, batch, d). Initialised as ``nn.Linear`` is, from ``gen`` (a CPU
    generator). The dropout mask is passed in (``keep``), so a forward pass draws nothing."""

    def __init__(self, K: int, d: int, hidden: int, C: int, device: torch.device, *,
                 gen: torch.Generator) -> None:
        super().__init__()

        def uniform(shape: tuple[int, ...], fan_in: int) -> nn.Parameter:
            bound = 1.0 / math.sqrt(fan_in)
            return nn.Parameter(torch.empty(shape).uniform_(-bound, bound, generator=gen)
                                .to(device))

        self.w1, self.b1 = uniform((K, d, hidden), d), uniform((K, 1, hidden), d)
        self.w2, self.b2 = uniform((K, hidden, C), hidden), uniform((K, 1, C), hidden)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (K, batch, C); ``keep`` (K, batch, hidden) scales the hidden units (dropout)."""
        h = nnf.gelu(torch.baddbmm(self.b1, x, self.w1))
        return torch.baddbmm(self.b2, h if keep is None else h * keep, self.w2)

    def single(self, k: int) -> nn.Sequential:
        """The k-th MLP as a plain ``nn.Sequential`` (eval mode)."""
        d, hidden = self.w1.shape[1:]
        C = self.w2.shape[2]
        # skip_init: the weights are copied in below, so nothing is drawn from torch's RNG
        first = torch.nn.utils.skip_init(nn.Linear, d, hidden)
        last = torch.nn.utils.skip_init(nn.Linear, hidden, C)
        with torch.no_grad():
            first.weight.copy_(self.w1[k].T)
            first.bias.copy_(self.b1[k, 0])
            last.weight.copy_(self.w2[k].T)
            last.bias.copy_(self.b2[k, 0])
        return nn.Sequential(first, nn.GELU(), nn.Dropout(HIDDEN_DROPOUT), last).to(
            self.w1.device).eval()


class Adapter:
    """MLP ``d -> hidden -> C``: its settings, and once trained (``fit_many`` returns one
    per task) its network for ``predict_proba``."""

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

    def fit_many(self, Z: Features, tasks: list[AdapterTask], *,
                 on_step: OnStep | None = None) -> list[Adapter]:
        """Train one adapter per task with these settings, all together (batched).

        On CUDA the step is replayed as a CUDA graph with a capturable fused AdamW; where
        that fails it runs eagerly with fused, then plain AdamW, and where the device itself
        fails the adapters train on the CPU, each after a one-time notice. The draws are the
        same in every case (see the module docstring).

        Parameters
        ----------
        Z : array or tensor (n, d)
            The (standardised) features of every point.
        tasks : list of AdapterTask
            One adapter to train per task.
        on_step : callable, optional
            ``on_step(fraction_done)`` every 20 steps; it may raise to cancel.

        Returns
        -------
        list of Adapter
            One trained adapter per task, on the device it trained on.
        """
        return on_device("adapter", self.device, lambda at: self._fit_on(at, Z, tasks, on_step),
                         step="retrain (adapter)")

    def _fit_on(self, dev: torch.device, Z: Features, tasks: list[AdapterTask],
                on_step: OnStep | None) -> list[Adapter]:
        X = as_tensor(Z, dev)
        ways = training_ways(dev, self.steps)
        for i, (graphed, fused) in enumerate(ways):
            try:
                run = _StackTraining(self, X, tasks, graphed=graphed, fused=fused, device=dev)
                if graphed:
                    run.replay(on_step)
                else:
                    run.eager(on_step)
                break
            except Exception as exc:
                if i == len(ways) - 1 or not is_accelerator_failure(exc):
                    raise
                what = "its CUDA graph" if graphed else "fused AdamW"
                notice(f"adapter {what}", str(dev), f"training the adapter with {what} failed "
                       f"on {dev} ({type(exc).__name__}: {str(exc)[:80]}); it trains without "
                       "it (slower, same draws)")
        run.net.eval()
        return [self._trained(run.net.single(k), dev) for k in range(len(tasks))]

    def _trained(self, net: nn.Sequential, dev: torch.device) -> Adapter:
        out = copy.copy(self)
        out.net, out.device = net, dev
        return out

    def predict_proba(self, Z: Features) -> np.ndarray:
        assert self.net is not None, "fit first"
        with torch.no_grad():
            out = [torch.softmax(self.net(as_tensor(Z[s:s + 65536], self.device)), 1)
                   for s in range(0, Z.shape[0], 65536)]
        return torch.cat(out).cpu().numpy()  # float32, as the network


#: Eager steps before a CUDA graph of one step is captured (the optimiser state exists then).
GRAPH_WARMUP = 3


def graphs_usable(device: torch.device) -> bool:
    """Whether the training step is captured as a CUDA graph on ``device``."""
    return device.type == "cuda"


def fused_usable(device: torch.device) -> bool:
    """Whether AdamW runs fused (one kernel for all parameters) on ``device``."""
    return device.type == "cuda"


def training_ways(device: torch.device, steps: int) -> list[tuple[bool, bool]]:
    """(graphed, fused) ways to run the training on ``device``, fastest first; each one
    that fails gives way to the next."""
    ways = []
    if graphs_usable(device) and steps > GRAPH_WARMUP:
        ways.append((True, True))
    if fused_usable(device):
        ways.append((False, True))
    return ways + [(False, False)]


def one_cycle(lr: float, steps: int) -> list[float]:
    """The learning rate of each step: ``OneCycleLR`` without momentum cycling (a graph
    replay cannot change the optimiser's betas between steps)."""
    probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(probe, max_lr=lr, total_steps=steps,
                                                cycle_momentum=False)
    out = []
    for _ in range(steps):
        out.append(float(probe.param_groups[0]["lr"]))
        probe.step()
        sched.step()
    return out


class _Draws(NamedTuple):
    """Every random number of one training, per step (first axis), on the device."""

    seeds: torch.Tensor    # (steps, K, bs) uniform draws that pick the labelled rows
    perm: torch.Tensor     # (steps, bs) the mixup partner of each labelled row
    unlab: torch.Tensor    # (steps, 2 bs) the unlabelled rows
    aug_l: torch.Tensor    # (steps, 2, K, bs) augmentation-bank rows of the labelled view
    aug_u: torch.Tensor    # (steps, 2, K, 2 bs) ... and of the unlabelled view
    drop_l: torch.Tensor   # (steps, K, bs) dropout-bank rows of the labelled view
    drop_u: torch.Tensor   # (steps, K, 2 bs) ... and of the unlabelled view


class _StackTraining:
    """The state of one stacked adapter training, and its step.

    The step never waits for the GPU and draws no random number (every draw is made up front
    from the seed, see the module docstring), so on CUDA it is captured once as a CUDA graph
    and replayed: 150 eager steps of 4 stacked adapters took 0.6-0.8 s on an H100, nearly all
    of it Python and kernel launches.
    """

    def __init__(self, cfg: Adapter, X: torch.Tensor, tasks: list[AdapterTask], *,
                 graphed: bool, fused: bool, device: torch.device) -> None:
        dev = device
        self.cfg, self.X, self.graphed = cfg, X, graphed
        gen = torch.Generator().manual_seed(cfg.seed)  # on the CPU: the same draws everywhere
        rng = np.random.default_rng(cfg.seed)
        self.K, (self.n, self.C) = len(tasks), tasks[0].teacher.shape
        self.lab, self.lab_T, sample_p, self.teacher = self._stack(tasks, dev)
        self.cdf = sample_p.cumsum(1)
        self.last = (sample_p > 0).sum(1, keepdim=True) - 1
        self.net = StackedMLP(self.K, X.shape[1], cfg.hidden, self.C, dev, gen=gen)
        self.lrs = one_cycle(cfg.lr, cfg.steps)
        lr: float | torch.Tensor = torch.tensor(self.lrs[0], device=dev) if graphed else cfg.lr
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=1e-3,
                                     fused=fused, capturable=graphed)
        self.lr_on_device = torch.tensor(self.lrs, device=dev) if graphed else None
        self.lams = torch.from_numpy(rng.beta(cfg.mixup, cfg.mixup, (cfg.steps, self.K, 1, 1))
                                     .astype(np.float32)).to(dev)
        self.class_conf = torch.full((self.K, self.C), 0.5, device=dev)
        self.ks = torch.arange(self.K, device=dev)[:, None]
        self.step_no = torch.zeros(1, dtype=torch.long, device=dev)
        self.keep_bank, self.noise_bank, self.drop_bank = self._banks(X.shape[1], gen, dev)
        self.draws = self._draws(gen, dev)

    def _banks(self, d: int, gen: torch.Generator, dev: torch.device
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Rows of scaled input-dropout masks, of Gaussian noise and of scaled hidden-dropout
        masks that the strong view and the training forward passes draw from.

        Drawing fresh ones every step took 0.6 s of a 3.1 s retrain at n = 1e4 on the CPU
        (``torch.rand``/``randn`` over (4, 256, 384) floats, 300 times); gathering rows of a
        bank costs a copy. Each row is reused with many different inputs."""
        cfg = self.cfg
        keep = torch.rand((AUGMENTATION_BANK, d), generator=gen) > cfg.input_dropout
        noise = cfg.noise * torch.randn((AUGMENTATION_BANK, d), generator=gen)
        hidden = torch.rand((AUGMENTATION_BANK, cfg.hidden), generator=gen) > HIDDEN_DROPOUT
        return ((keep.float() / (1.0 - cfg.input_dropout)).to(dev), noise.to(dev),
                (hidden.float() / (1.0 - HIDDEN_DROPOUT)).to(dev))

    def _draws(self, gen: torch.Generator, dev: torch.device) -> _Draws:
        S, K, bs, B = self.cfg.steps, self.K, self.cfg.batch_size, AUGMENTATION_BANK

        def rows(*shape: int, high: int = B) -> torch.Tensor:
            return torch.randint(0, high, shape, generator=gen).to(dev)

        return _Draws(
            seeds=torch.rand((S, K, bs), generator=gen).to(dev),
            perm=torch.argsort(torch.rand((S, bs), generator=gen), dim=1).to(dev),
            unlab=rows(S, 2 * bs, high=self.n),
            aug_l=rows(S, 2, K, bs), aug_u=rows(S, 2, K, 2 * bs),
            drop_l=rows(S, K, bs), drop_u=rows(S, K, 2 * bs))

    @staticmethod
    def _stack(tasks: list[AdapterTask], dev: torch.device) -> tuple[torch.Tensor, ...]:
        """Seeds, their targets and sampling probabilities padded to (K, L), and teachers."""
        K, L = len(tasks), max(t.labelled.size for t in tasks)
        C = tasks[0].teacher.shape[1]
        lab = torch.zeros((K, L), dtype=torch.long, device=dev)
        lab_T = torch.zeros((K, L, C), device=dev)
        sample_p = torch.zeros((K, L), device=dev)
        for k, t in enumerate(tasks):
            m = t.labelled.size
            lab[k, :m] = torch.from_numpy(t.labelled.astype(np.int64)).to(dev)
            lab_T[k, :m] = as_tensor(t.targets, dev)
            w = as_tensor(t.weights, dev)
            sample_p[k, :m] = w / w.sum().clamp_min(1e-12)
        teacher = torch.stack([as_tensor(t.teacher, dev) for t in tasks])
        return lab, lab_T, sample_p, teacher

    def _now(self, draws: torch.Tensor) -> torch.Tensor:
        """This step's slice of ``draws`` (read on the device, so a graph replay moves on)."""
        return draws.index_select(0, self.step_no)[0]

    def _strong(self, x: torch.Tensor, aug: torch.Tensor) -> torch.Tensor:
        """The strong view: input dropout, then Gaussian noise (rows ``aug`` of the banks)."""
        rows = self._now(aug)
        return torch.addcmul(self.noise_bank[rows[1]], x, self.keep_bank[rows[0]])

    def eager(self, on_step: OnStep | None) -> None:
        for step in range(self.cfg.steps):
            self.opt.param_groups[0]["lr"] = self.lrs[step]
            self.opt.zero_grad()
            self.step()
            if on_step is not None and step % 20 == 0:
                on_step(step / self.cfg.steps)

    def replay(self, on_step: OnStep | None) -> None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(GRAPH_WARMUP):
                self.opt.zero_grad(set_to_none=False)
                self.step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        self.opt.zero_grad(set_to_none=True)  # captured, backward then writes fresh gradients
        # thread-local: a fit runs in a worker thread, and CUDA work the kernel's own thread
        # does meanwhile must neither break this capture nor be refused because of it
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            self.step()
        for i in range(self.cfg.steps - GRAPH_WARMUP):
            graph.replay()
            if on_step is not None and i % 20 == 0:
                on_step((i + GRAPH_WARMUP) / self.cfg.steps)

    def step(self) -> None:
        """One step of every stacked adapter (see the module docstring)."""
        cfg, net, dr = self.cfg, self.net, self.draws
        K, C, bs = self.K, self.C, cfg.batch_size
        if self.lr_on_device is not None:  # graphed: the rate is read on the device
            self.opt.param_groups[0]["lr"].copy_(self.lr_on_device.index_select(
                0, self.step_no)[0])
        u = self._now(dr.seeds) * self.cdf[:, -1:]
        li = torch.searchsorted(self.cdf, u).clamp_max(self.last)  # (K, bs) seeds by weight
        xl, tl = self.X[self.lab.gather(1, li)], self.lab_T[self.ks, li]
        lam = self._now(self.lams)
        perm = self._now(dr.perm)
        xm = lam * xl + (1 - lam) * xl[:, perm]
        tm = lam * tl + (1 - lam) * tl[:, perm]
        logits = net(self._strong(xm, dr.aug_l), self.drop_bank[self._now(dr.drop_l)])
        loss = -(tm * torch.log_softmax(logits, -1)).sum(-1).mean(-1)
        ui = self._now(dr.unlab)
        xu = self.X[ui].expand(K, -1, -1)
        with torch.no_grad():
            weak = torch.softmax(net(xu), -1)
            q = 0.5 * self.teacher[:, ui] + 0.5 * weak
            conf, pseudo = q.max(-1)  # (K, 2 bs)
            flat = (pseudo + self.ks * C).reshape(-1)
            seen = torch.zeros(K * C, device=xu.device).scatter_reduce(
                0, flat, conf.reshape(-1), reduce="mean", include_self=False)
            self.class_conf.mul_(0.95).add_(seen.view(K, C), alpha=0.05)
            top = self.class_conf.max(1, keepdim=True).values.clamp_min(1e-6)
            thr = cfg.threshold * self.class_conf.gather(1, pseudo) / top
            mask = (conf >= thr).float() * conf
            counts = torch.zeros(K * C, device=xu.device).index_add_(
                0, flat, mask.reshape(-1)).view(K, C)
            balance = (counts.sum(1, keepdim=True) / (C * counts.clamp_min(1.0)))
            w_u = mask * balance.gather(1, pseudo).clamp(max=5.0)
        logp_u = torch.log_softmax(net(self._strong(xu, dr.aug_u),
                                       self.drop_bank[self._now(dr.drop_u)]), -1)
        loss_u = -(w_u * logp_u.gather(2, pseudo[..., None]).squeeze(2)).sum(1) / (2 * bs)
        (loss + loss_u).sum().backward()  # the K models share no parameter
        self.opt.step()
        self.step_no.add_(1)
