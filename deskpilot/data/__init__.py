"""The data engine: screens with exact ground truth, and the agent tasks on them (for training and
for `deskpilot model eval`). Synthetic screens are drawn with Pillow; real ones come from Tk on Xvfb."""
