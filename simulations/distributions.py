"""Random durations for the scenario (handle times, reaction times, patience), in seconds."""

from __future__ import annotations

import math
import random
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from protocols import parse_duration


def seconds_of(value: object) -> float:
    """Durations in a scenario are seconds, or a duration string like `90s`, `5m`, `1h`."""
    return parse_duration(value).total_seconds()


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _durations(cls, data: object) -> object:
        # Let `mean: 5m` read like the protocol file does; `values` may mix both forms too.
        if isinstance(data, dict):
            out = dict(data)
            for key in ("mean", "sd", "value"):
                if isinstance(out.get(key), str):
                    out[key] = seconds_of(out[key])
            if isinstance(out.get("values"), list):
                out["values"] = [seconds_of(v) if isinstance(v, str) else v for v in out["values"]]
            return out
        return data


class Constant(_Dist):
    """Always the same: `{kind: constant, value: 0}`."""

    kind: Literal["constant"] = "constant"
    value: float = Field(ge=0)

    @property
    def mean_s(self) -> float:
        return self.value

    def sample(self, rng: random.Random) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless: `{kind: exponential, mean: 10m}` (what Erlang C assumes for handle times)."""

    kind: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0)

    @property
    def mean_s(self) -> float:
        return self.mean

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)


class Lognormal(_Dist):
    """Right-skewed, as real call lengths are: `{kind: lognormal, mean: 15m, sd: 10m}`.

    Given as the mean and standard deviation of the duration itself, not of its logarithm,
    because that is what a hotline's call records report."""

    kind: Literal["lognormal"] = "lognormal"
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)
    _mu: float = PrivateAttr(0.0)
    _sigma: float = PrivateAttr(0.0)

    @property
    def mean_s(self) -> float:
        return self.mean

    def model_post_init(self, context: object, /) -> None:
        # The logarithm's parameters, worked out once (the same arithmetic, so the same draws).
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        self._mu = math.log(self.mean) - sigma2 / 2.0
        self._sigma = math.sqrt(sigma2)

    def sample(self, rng: random.Random) -> float:
        # The private attributes read from pydantic's own dict: `self._mu` is not in the
        # instance's __dict__, so each read went through BaseModel.__getattr__ (a sample took
        # ~6 times as long as the draw itself; two or three are drawn per simulated contact).
        private = self.__pydantic_private__
        assert private is not None  # set by model_post_init
        return rng.lognormvariate(private["_mu"], private["_sigma"])


class Empirical(_Dist):
    """Resample observed durations: `{kind: empirical, values: [120, 300, 15m]}`, optional `weights`."""

    kind: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _matching(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("empirical values are durations and cannot be negative")
        if self.weights is not None and (
            len(self.weights) != len(self.values)
            or any(w < 0 for w in self.weights)
            or sum(self.weights) <= 0
        ):
            raise ValueError("weights must be one non-negative number per value, not all zero")
        return self

    @property
    def mean_s(self) -> float:
        if self.weights is None:
            return sum(self.values) / len(self.values)
        return sum(v * w for v, w in zip(self.values, self.weights, strict=True)) / sum(self.weights)

    def sample(self, rng: random.Random) -> float:
        if self.weights is None:
            return rng.choice(self.values)
        return rng.choices(self.values, weights=self.weights)[0]


Distribution = Annotated[Constant | Exponential | Lognormal | Empirical, Field(discriminator="kind")]


def _shorthand(value: object) -> object:
    """A bare number or duration (`react: 30s`) means a constant."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"kind": "constant", "value": seconds_of(value)}
    return value


Dist = Annotated[Distribution, BeforeValidator(_shorthand)]
