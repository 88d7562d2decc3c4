"""Scripted automation recipes: TOML files or Python functions, every step through the policy gate."""

from deskpilot.recipes.context import RecipeContext, StepFailed
from deskpilot.recipes.runner import recipe, run_python_recipe, run_recipe
from deskpilot.recipes.schema import Recipe, load_recipe, resolve_params

__all__ = [
    "Recipe", "RecipeContext", "StepFailed", "load_recipe", "recipe", "resolve_params",
    "run_python_recipe", "run_recipe",
]  # fmt: skip
