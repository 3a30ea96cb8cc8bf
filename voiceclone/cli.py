"""The `voiceclone` command line, a thin layer over the Python API: a VoiceCloneError is one line on
stderr and exit code 1; typer's own usage errors exit 2."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from voiceclone import __version__
from voiceclone.delivery import audio_target, reader_may_leave
from voiceclone.errors import VoiceCloneError, show_warning_line
from voiceclone.server.command import serve
from voiceclone.text.files import read_text_file
from voiceclone.voice.config import DEFAULT_MATCH

app = typer.Typer(name="voiceclone", help="Offline voice cloning: speak any text in the voice of a few seconds of "
                  "reference audio.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

PrecisionOption = Annotated[str, typer.Option("--precision", help="Vocoder arithmetic: auto (bf16 on CPUs with AMX, about twice as fast and judged the same; fp32 elsewhere), fp32 or bf16.")]
DeviceOption = Annotated[str, typer.Option("--device", help="auto (CUDA when available), cpu or cuda.")]
VocoderOption = Annotated[str, typer.Option("--vocoder", help="hifigan (the default) or fast (the Vocos-style vocoder: not trained and shipped yet, so refused for now).")]
NoWatermarkOption = Annotated[bool, typer.Option("--no-watermark", help="Do not watermark the output (recorded in the file's metadata).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"voiceclone {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Offline voice cloning: speak any text in the voice of a few seconds of reference audio."""


@app.command()
def speak(
    text: Annotated[Optional[str], typer.Argument(help="The text to speak (or use --text-file); '-' reads it from standard input.")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Output audio file (.wav, .flac or .ogg); '-' writes a WAV to standard output, for a pipe.")] = None,
    ref: Annotated[Optional[list[Path]], typer.Option("--ref", metavar="AUDIO", help="Reference recording of the voice to clone (3-10 s of clear speech); repeat for several.")] = None,
    voice: Annotated[Optional[list[Path]], typer.Option("--voice", metavar="PROFILE", help="A voice profile made by 'voiceclone embed' (.npz); repeat to average several.")] = None,
    text_file: Annotated[Optional[Path], typer.Option("--text-file", help="Read the text from a UTF-8 file. With --out-dir, one output per non-empty line.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out-dir", help="Batch mode: write the Nth non-empty line of --text-file to OUT_DIR/NNNN.wav (the folder is created if missing; every line is checked first).")] = None,
    speed: Annotated[float, typer.Option("--speed", help="Speaking rate, 0.5 (slow) to 2.0 (fast).")] = 1.0,
    pitch: Annotated[float, typer.Option("--pitch", help="Pitch shift in semitones, -12 to 12.")] = 0.0,
    similarity: Annotated[Optional[float], typer.Option("--similarity", help=f"0 to 1 (default {DEFAULT_MATCH.similarity:g}): how far each sound is pulled toward the reference's own nearest sounds. Higher sounds more like the reference but less clear; off with --pitch.", show_default=False)] = None,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
    vocoder: VocoderOption = "hifigan",
    no_watermark: NoWatermarkOption = False,
    provenance_json: Annotated[Optional[Path], typer.Option("--provenance-json", help="Also write the provenance record as a JSON sidecar here (with --out-dir: NNNN.json beside each file).")] = None,
    stream_format: Annotated[str, typer.Option("--format", help="With -o -: 'wav' (a WAV of unknown length, streamed as it is made) or 'pcm' (raw 16-bit little-endian mono at 22.05 kHz).")] = "wav",
) -> None:
    """Speak text in a cloned voice (--ref / --voice) or in the built-in default voice.

    Examples: voiceclone speak --ref me.wav "Hello there." -o hello.wav;
    voiceclone speak --voice me.npz --text-file book.txt -o book.wav;
    voiceclone speak --text-file lines.txt --out-dir clips/;
    echo "Hello there." | voiceclone speak - -o - | aplay
    """
    from voiceclone.pipeline import SpeakOptions, VoiceCloner

    if (text is None) == (text_file is None):
        raise VoiceCloneError("give the text either as an argument or with --text-file (not both)")
    if out_dir is None and output is None:
        raise VoiceCloneError("say where to write the audio: -o OUT.wav (or --out-dir DIR with --text-file)")
    if out_dir is not None and (text_file is None or output is not None):
        raise VoiceCloneError("--out-dir needs --text-file and replaces -o")
    options = SpeakOptions(speed=speed, pitch=pitch, similarity=similarity)
    target = audio_target(output) if output is not None else None
    text = read_text_file(text_file) if text_file is not None else sys.stdin.read() if text == "-" else text
    cloner = VoiceCloner(device=device, watermark=not no_watermark, precision=precision, vocoder=vocoder)
    sources = [*(ref or []), *(voice or [])] or None
    if out_dir is not None:
        written = cloner.speak_lines(text.splitlines(), out_dir, sources, options, sidecars=provenance_json is not None,
                                     name=str(text_file), progress=True)
        typer.echo(f"{out_dir}: {len(written)} files spoken in {', '.join(map(str, sources or ['default voice']))}")
        return
    chosen = cloner.voice(sources)
    with reader_may_leave():
        path = cloner.speak_to_file(text, target, chosen, options, provenance_json=provenance_json, progress=True,
                                    stream_format=stream_format)
    typer.echo(f"{path or 'standard output'}: spoken in {chosen.description}", err=path is None)


@app.command()
def mel(
    audio: Annotated[Path, typer.Argument(help="Input audio file (wav, flac, ogg, mp3).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .npy array (n_mels, frames).")],
    kind: Annotated[str, typer.Option("--kind", help="'vocoder': 80-band log-mel at 22.05 kHz; 'encoder': 40-band power mel at 16 kHz.")] = "vocoder",
) -> None:
    """Compute the mel spectrogram the models use and save it as a NumPy array."""
    from voiceclone.atomic import save_npy
    from voiceclone.pipeline import mel_of_file

    array = mel_of_file(audio, kind)
    save_npy(output, array)
    typer.echo(f"{output}: mel {array.shape[0]} x {array.shape[1]} frames ({kind})")


@app.command()
def vocode(
    audio: Annotated[Path, typer.Argument(help="Input audio file (wav, flac, ogg, mp3).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the resynthesised audio (.wav, .flac or .ogg); '-' writes a WAV to standard output, for a pipe.")],
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
    vocoder: VocoderOption = "hifigan",
    no_watermark: NoWatermarkOption = False,
) -> None:
    """Copy-synthesis: analyse the audio into a mel spectrogram and rebuild it with the vocoder (--vocoder).

    Like everything voiceclone synthesises, the output is watermarked (unless --no-watermark) and carries provenance tags.

    Example: voiceclone vocode speech.flac -o - | aplay
    """
    from voiceclone.pipeline import resynthesise

    target = audio_target(output)
    with reader_may_leave():
        out = resynthesise(audio, target, device=device, precision=precision, watermark=not no_watermark, progress=True,
                           vocoder=vocoder)
    to_stdout = target is sys.stdout.buffer
    typer.echo(f"{'standard output' if to_stdout else output}: {len(out.audio) / out.sample_rate:.2f} s vocoded at "
               f"{out.sample_rate} Hz", err=to_stdout)


@app.command()
def embed(
    references: Annotated[
        list[Path], typer.Argument(help="Reference audio of one speaker (wav, flac, ...) or .npz voice profiles.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .npz voice profile.")],
    device: DeviceOption = "auto",
) -> None:
    """Build a voice profile (.npz) from reference recordings, to clone from with speak --voice.

    It holds the speaker embedding averaged over the references, their pitch register, spectral
    envelope (per-band log-mel statistics), up to 30 s of their speech frames in shuffled order (what
    synthesis matches the covariance of and --similarity blends toward), and their provenance.
    """
    from voiceclone.encoder import load_speaker_encoder
    from voiceclone.voice import load_voice

    profile = load_voice(references, load_speaker_encoder(device))
    profile.save(output)
    typer.echo(f"{output}: {profile.summary()}")


@app.command()
def text(
    text: Annotated[str, typer.Argument(help="English text to read; '-' reads it from standard input.")],
    as_json: Annotated[bool, typer.Option("--json", help='Print {"words", "phonemes", "ids", "chunks", "table_version"} as JSON.')] = False,
    max_phonemes: Annotated[int, typer.Option("--max-phonemes", min=1, help="Chunk limit in phoneme tokens.")] = 200,
    max_words: Annotated[int, typer.Option("--max-words", min=1, help="Chunk limit in words.")] = 25,
) -> None:
    """Show what the text front end makes of a text: normalised words, phonemes, ids and chunks."""
    import json

    from voiceclone.text import TextFrontend
    from voiceclone.text.frontend import format_description

    described = TextFrontend().describe(sys.stdin.read() if text == "-" else text, max_phonemes, max_words)
    typer.echo(json.dumps(described, ensure_ascii=False) if as_json else format_description(described))


@app.command("eval")
def eval_(
    mode: Annotated[str, typer.Option("--mode", help="real: judge the reference recordings against their transcripts (the judges' ceiling). copy: judge HiFi-GAN copy-synthesis of the references. clone: speak every sentence in each reference voice with --system. peer: the same sentences from Piper's 'joe' voice (a mature single-speaker TTS that cannot clone). dir: judge files made by any system, listed in --outputs.")],
    refs: Annotated[Path, typer.Option("--refs", help="Tab-separated table of real reference voices: path, speaker, optional text (relative paths resolve against the table's folder). python -m recipes.shared_data.dev_split writes one.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for results.json, summary.md and the PNG plots.")],
    sentences: Annotated[Optional[Path], typer.Option("--sentences", help="Text file, one sentence per line, for clone and peer modes (default: 24 plain sentences shipped with voiceclone).")] = None,
    outputs: Annotated[Optional[Path], typer.Option("--outputs", help="dir mode: table of files to judge: path, speaker, text, optional reference (a path from --refs).")] = None,
    system: Annotated[str, typer.Option("--system", help="clone mode: which system speaks (voiceclone, piper-joe, ...).")] = "voiceclone",
    limit: Annotated[int, typer.Option("--limit", min=0, help="Use at most this many reference voices, drawn with --seed (0: all).")] = 0,
    sentences_per_voice: Annotated[int, typer.Option("--sentences-per-voice", min=0, help="Speak only this many sentences per voice, taken in turn from a seeded order (0: all).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for voice and sentence selection and for synthesis.")] = 0,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
    vocoder: VocoderOption = "hifigan",
    checkpoint: Annotated[Optional[Path], typer.Option("--checkpoint", help="clone mode: an acoustic-model checkpoint folder (an export of a training run) instead of the shipped one.")] = None,
    save_audio: Annotated[bool, typer.Option("--save-audio", help="Also keep every output as out/audio/<key>.wav, with a dir-mode table.")] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the SECS and mel spectrogram PNGs.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--quiet", help="Show a progress bar.")] = True,
    peer_results: Annotated[Optional[Path], typer.Option("--peer-results", help="results.json of a --mode peer run on the same --sentences: adds the peer's WER on exactly the sentences this run spoke (column 'peer WER %'), the fair comparison when each voice speaks only some sentences.")] = None,
) -> None:
    """Judge speech by numbers, per utterance and per system, and write a report.

    WER/CER (pocketsphinx), Whisper WER (faster-whisper, from the eval extra; skipped with a warning
    without it), numbers spelled out on both sides, speaker similarity and identification (GE2E),
    pitch distance, DNSMOS and real-time factor.
    """
    from voiceclone.evaluation import EvalConfig, evaluate
    from voiceclone.evaluation.data import DEFAULT_SENTENCES
    from voiceclone.evaluation.report import markdown_table
    from voiceclone.vocoder.load import check_vocoder

    check_vocoder(vocoder)
    result = evaluate(EvalConfig(mode=mode, out=out, refs=refs, sentences=sentences or DEFAULT_SENTENCES,
                                 outputs=outputs, system=system, limit=limit, sentences_per_voice=sentences_per_voice,
                                 seed=seed, device=device, precision=precision, checkpoint=checkpoint, vocoder=vocoder,
                                 save_audio=save_audio, plots=plots, progress=progress, peer_results=peer_results))
    typer.echo(markdown_table(result["summary"]), nl=False)
    typer.echo(f"written to {out}/ (results.json, summary.md{', plots' if plots else ''})")


@app.command()
def detect(
    files: Annotated[list[Path], typer.Argument(help="Audio files to check (wav, flac, ogg, mp3).")],
    json_lines: Annotated[bool, typer.Option("--json", help='One JSON object per line: {"file", "watermarked", "state", "score", "payload", "blind_score", "repeats", "repeats_agreeing"}; state is "watermarked", "inconclusive" or "not watermarked", and watermarked is true only for the first.')] = False,
) -> None:
    """Report whether each file carries the voiceclone watermark, its score and payload.

    Exit code 0 when every file was checked, whatever was found; 1 when any file could not be
    read (it gets an error line and the others are still checked).
    """
    import json

    from voiceclone.watermark.report import detect_file, format_line

    results = [detect_file(path) for path in files]
    for result in results:
        typer.echo(json.dumps(result) if json_lines else format_line(result), err="error" in result and not json_lines)
    failed = sum("error" in result for result in results)
    if failed:
        raise VoiceCloneError(f"{failed} of {len(files)} files could not be checked")


app.command()(serve)  # options and work live in voiceclone/server (the [server] extra)


def main() -> None:
    """Console entry point: run the app, reporting VoiceCloneError and warnings as one line each."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = show_warning_line
            app(standalone_mode=False)
    except VoiceCloneError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # unknown options, missing arguments: typer's own message and exit code
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
