"""Smooth rectifiers: softplus and its relatives, ReLU shapes differentiable everywhere."""
