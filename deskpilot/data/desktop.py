"""Desktop chrome around a synthetic dialog: a taskbar and a window manager's frame, as a real X
desktop shows them (a JWM-like panel with workspace numbers, a task button and a clock; a thick
title bar with minimize / maximize / close boxes). Nothing drawn here is named by a task: it is
the clutter a model must look past on a real screen (``make demo``'s screen has all of it).
"""

from __future__ import annotations

import random

from PIL import ImageDraw, ImageFont

Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def desktop_colour(rng: random.Random, theme_desktop: Colour) -> Colour:
    """The theme's desktop colour, or a plain near-black or grey one (window managers' defaults)."""
    roll = rng.random()
    if roll < 0.25:
        return (rng.randint(0, 30),) * 3
    if roll < 0.35:
        grey = rng.randint(60, 140)
        return (grey, grey, grey + rng.randint(0, 20))
    return theme_desktop


def draw_taskbar(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], font: Font, task: str
) -> Box:
    """A panel along the bottom (mostly) or top edge: workspace numbers, a button for the window
    ``task`` and a clock. Returns the panel's box, which windows must keep clear of."""
    width, height = size
    text_h = int(draw.textbbox((0, 0), "Ag", font=font)[3])
    bar = text_h + rng.randint(8, 14)
    top = 0 if rng.random() < 0.2 else height - bar
    shade = rng.randint(20, 70)
    fill, ink = (shade, shade, shade + rng.randint(0, 25)), (235, 235, 235)
    draw.rectangle((0, top, width, top + bar), fill=fill)
    x = 4
    if rng.random() < 0.6:  # a menu button: a coloured square
        accent = tuple(rng.randint(60, 230) for _ in range(3))
        draw.rectangle((x, top + 3, x + bar - 6, top + bar - 3), fill=accent)
        x += bar
    for number in range(1, rng.randint(1, 5)):  # workspaces
        current = number == 1
        w = int(draw.textlength(str(number), font=font)) + 2 * rng.randint(8, 14)
        if current:
            draw.rectangle((x, top + 1, x + w, top + bar - 1), fill=(0, 70, 140))
        draw.text((x + w // 2, top + bar // 2), str(number), font=font, fill=ink, anchor="mm")
        draw.line((x + w, top + 2, x + w, top + bar - 2), fill=(fill[0] + 40,) * 3)
        x += w + 1
    button = min(width // 3, int(draw.textlength(task, font=font)) + rng.randint(60, 240))
    draw.rectangle(
        (x + 4, top + 2, x + 4 + button, top + bar - 2),
        fill=(fill[0] + 30,) * 3,
        outline=(fill[0] + 60,) * 3,
    )
    draw.text((x + 10, top + bar // 2), task, font=font, fill=ink, anchor="lm")
    hour, minute = rng.randint(1, 12), rng.randint(0, 59)
    clock = (
        f"{hour}:{minute:02d} {rng.choice(['AM', 'PM'])}"
        if rng.random() < 0.5
        else f"{rng.randint(0, 23):02d}:{minute:02d}"
    )
    draw.text((width - 8, top + bar // 2), clock, font=font, fill=ink, anchor="rm")
    return (0, top, width, top + bar)


def draw_frame(
    draw: ImageDraw.ImageDraw, rng: random.Random, box: Box, font: Font, title: str, colour: Colour
) -> int:
    """A window manager's frame around ``box`` (the client area): a border and a thick title bar
    above it with the title and three boxed buttons. Returns the title bar's height."""
    x0, y0, x1, y1 = box
    text_h = int(draw.textbbox((0, 0), "Ag", font=font)[3])
    bar, border = text_h + rng.randint(8, 12), rng.randint(1, 4)
    draw.rectangle((x0 - border, y0 - bar - border, x1 + border, y1 + border), fill=colour)
    ink = (255, 255, 255) if sum(colour) < 450 else (20, 20, 20)
    draw.text((x0 + bar + 4, y0 - bar // 2 - border // 2), title, font=font, fill=ink, anchor="lm")
    side = bar - 8
    for index in range(4):  # a window menu box at the left, three buttons at the right
        left = x0 + 2 if index == 0 else x1 - index * (side + 6)
        top = y0 - bar + 4 - border // 2
        draw.rectangle((left, top, left + side, top + side), outline=ink)
        if index == 1:  # close
            draw.line((left + 3, top + 3, left + side - 3, top + side - 3), fill=ink, width=2)
            draw.line((left + 3, top + side - 3, left + side - 3, top + 3), fill=ink, width=2)
        elif index == 3:  # minimize
            draw.line((left + 3, top + side - 4, left + side - 3, top + side - 4), fill=ink)
    return bar + border
