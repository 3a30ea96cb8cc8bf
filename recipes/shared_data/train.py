"""The shared data's training step: recipes.train, the one trainer (kept so the documented command works).

    python -m recipes.shared_data.train --prep runs/prep --run runs/acoustic [--steps 12000]
"""

from recipes.train import main
from voiceclone.scripts import run_main

if __name__ == "__main__":
    run_main(main)
