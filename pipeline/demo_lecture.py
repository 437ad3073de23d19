"""The lecture `handouts demo` makes: a short, real piece of teaching (enzymes), slides and what is said."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeckSlide:
    """One slide of a scripted deck: what is on it and what the lecturer says while it is shown."""

    title: str
    bullets: tuple[str, ...]
    speech: tuple[str, ...]
    build: bool = False       # bullets appear one at a time
    chart: bool = False


ENZYMES: tuple[DeckSlide, ...] = (
    DeckSlide("Enzymes: how cells speed up chemistry",
              ("Biology 101, week 3", "What enzymes are", "How they lower activation energy",
               "What changes their speed"),
              ("Okay, um, good morning everyone.",
               "Today we're gonna talk about enzymes, the proteins that make the chemistry of life fast enough "
               "to keep us alive.")),
    DeckSlide("What is an enzyme?",
              ("A protein catalyst", "Speeds up a reaction without being used up", "Highly specific for its substrate"),
              ("An enzyme is a protein that acts as a catalyst.",
               "It speeds up a reaction, and, uh, it is not used up by the reaction, so one enzyme molecule can "
               "work again and again.",
               "Each enzyme is highly specific: it binds one substrate, or a small family of them."),
              build=True),
    DeckSlide("Activation energy",
              ("Reactions must pass an energy barrier", "Enzymes lower the barrier", "They do not change ΔG"),
              ("Every reaction has to get over an energy barrier called the activation energy.",
               "Enzymes lower that barrier, so far more molecules get over it every second.",
               "But notice, the enzyme does not change the free energy difference, delta G, between substrate "
               "and product."),
              chart=True),
    DeckSlide("The active site",
              ("A pocket shaped for the substrate", "Induced fit: the site closes around it",
               "Enzyme–substrate complex"),
              ("The substrate binds in a pocket called the active site.",
               "When it binds, the enzyme changes shape slightly and closes around it: that's the induced fit model.",
               "Together they form the enzyme substrate complex."),
              build=True),
    DeckSlide("What changes the rate",
              ("Temperature: faster until the enzyme denatures", "pH: each enzyme has an optimum",
               "Substrate concentration: saturation at Vmax"),
              ("Temperature speeds enzymes up, until around forty degrees human enzymes start to denature and "
               "lose their shape.",
               "Each enzyme has an optimum pH; pepsin in the stomach works best near pH two.",
               "More substrate means a faster rate until every active site is busy, which is the maximum rate, "
               "Vmax."),
              chart=True),
    DeckSlide("Inhibitors",
              ("Competitive: compete for the active site", "Non-competitive: bind elsewhere, change the shape",
               "Many drugs are enzyme inhibitors"),
              ("A competitive inhibitor looks like the substrate and competes for the active site.",
               "A non-competitive inhibitor binds somewhere else and changes the shape of the enzyme.",
               "Many drugs work this way; for example, aspirin inhibits the enzyme cyclooxygenase."),
              build=True),
    DeckSlide("Summary",
              ("Enzymes are specific protein catalysts", "They lower activation energy",
               "Rate depends on temperature, pH and substrate", "Inhibitors can block them"),
              ("So, to sum up: enzymes are specific protein catalysts that lower the activation energy.",
               "Their rate depends on temperature, pH and substrate concentration, and inhibitors can block them.",
               "Next week we will look at metabolism, which is, um, enzymes working in long chains.")),
)
"""Seven slides; the demo returns to 'Activation energy' once, as lecturers do."""
