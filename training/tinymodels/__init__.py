"""Helpers of training/build_test_models.py: tiny random-weight multimodal models for onnxruntime-genai.

Build-time only (torch, transformers, tokenizers, onnx, onnx_ir, onnxscript); nothing here is
imported by the deskpilot package.
"""
