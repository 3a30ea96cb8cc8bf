"""The `voiceclone` command line: a thin layer over the Python API.

Every command turns a VoiceCloneError into one line on stderr and exit code 1; typer's own
usage errors exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from voiceclone import __version__
from voiceclone.errors import VoiceCloneError

app = typer.Typer(
    name="voiceclone",
    help="Offline voice cloning: speak any text in the voice of a few seconds of reference audio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"voiceclone {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Offline voice cloning: speak any text in the voice of a few seconds of reference audio."""


@app.command()
def mel(
    audio: Annotated[Path, typer.Argument(help="Input audio file (wav, flac, ogg, mp3).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .npy array (n_mels, frames).")],
    kind: Annotated[
        str, typer.Option("--kind", help="'vocoder': 80-band log-mel at 22.05 kHz; 'encoder': 40-band power mel at 16 kHz.")
    ] = "vocoder",
) -> None:
    """Compute the mel spectrogram the models use and save it as a NumPy array."""
    from voiceclone.features.api import mel_from_file, save_array

    array = mel_from_file(audio, kind)
    save_array(output, array)
    typer.echo(f"{output}: mel {array.shape[0]} x {array.shape[1]} frames ({kind})")


@app.command()
def vocode(
    audio: Annotated[Path, typer.Argument(help="Input audio file (wav, flac, ogg, mp3).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the resynthesised .wav.")],
    device: Annotated[str, typer.Option("--device", help="auto (CUDA when available), cpu or cuda.")] = "auto",
) -> None:
    """Copy-synthesis: analyse the audio into a mel spectrogram and rebuild it with the HiFi-GAN vocoder."""
    from voiceclone.audio import load_audio, save_audio
    from voiceclone.vocoder import copy_synthesis, load_vocoder

    generator = load_vocoder(device)
    rate = generator.config.sampling_rate
    waveform = copy_synthesis(generator, load_audio(audio, rate))
    save_audio(output, waveform, rate)
    typer.echo(f"{output}: {len(waveform) / rate:.2f} s vocoded at {rate} Hz")


def main() -> None:
    """Console entry point: run the app, reporting VoiceCloneError as one line."""
    try:
        app(standalone_mode=False)
    except VoiceCloneError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit codes
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
