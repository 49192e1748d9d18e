"""Graph diffusion of novelty scores: neighbourhoods rise and fall together, components stay apart."""
from __future__ import annotations

import numpy as np
import torch

from embedviz.compute.knn_graph import KNNGraph
from embedviz.learn.novelty import diffuse, label_noise
from embedviz.learn.propagate import symmetric_affinity


def _two_cliques_and_a_loner() -> torch.Tensor:
    """Points 0-4 and 5-9 are two cliques (cosine distance 0.1); point 10's edges weigh 0."""
    idx, dist = [], []
    for i in range(11):
        if i == 10:
            idx.append([0, 5, 1, 6])
            dist.append([1.0] * 4)  # cosine similarity 0: weight 0
            continue
        clique = range(0, 5) if i < 5 else range(5, 10)
        idx.append([j for j in clique if j != i])
        dist.append([0.1] * 4)
    graph = KNNGraph(indices=np.array(idx), distances=np.array(dist, np.float32),
                     metric="cosine", exact=True)
    return symmetric_affinity(graph, torch.device("cpu"))


def test_a_stray_high_score_falls_and_its_neighbourhood_rises_within_its_component():
    W = _two_cliques_and_a_loner()
    score = np.zeros(11, np.float32)
    score[0] = 1.0  # one stray high score in the first clique
    score[5:10] = 0.8  # the second clique is novel as a whole
    score[10] = 0.6
    out = diffuse(W, score)
    assert out[0] < 0.5 and (out[1:5] > 0.0).all()  # the stray spreads over its clique
    np.testing.assert_allclose(out[:5].sum(), 1.0, rtol=1e-4)  # a clique keeps its mass
    np.testing.assert_allclose(out[5:10], 0.8, rtol=1e-5)  # nothing leaks across cliques
    assert out[10] == np.float32(0.6)  # a point with no weighted edges keeps its own score


def test_no_hops_is_the_identity():
    W = _two_cliques_and_a_loner()
    score = np.random.default_rng(0).random(11).astype(np.float32)
    np.testing.assert_array_equal(diffuse(W, score, hops=0), score)


def test_label_noise_is_the_neighbours_disagreement_and_a_loner_has_no_evidence_against_it():
    W = _two_cliques_and_a_loner()
    codes = np.full(11, -1)
    codes[:5] = 0
    codes[4] = 1  # one wrong label inside the first clique
    codes[10] = 1  # the loner: no weighted neighbour can disagree with it
    proba = np.eye(2, dtype=np.float32)[np.where(codes < 0, 0, codes)]
    noise = label_noise(W, proba, codes)
    np.testing.assert_allclose(noise[4], 1.0)  # all four neighbours vote 0
    np.testing.assert_allclose(noise[:4], 0.25, rtol=1e-5)  # one of four neighbours votes 1
    assert noise[10] == 0.0 and (noise[5:10] == 0.0).all()  # loner; unlabelled points
