#!/usr/bin/env bash
# Regenerate the example dictation clips (16 kHz mono FLAC) with espeak-ng and sox.
# Each utterance is spoken separately and joined with one second of silence, the way a
# radiologist pauses between a voice command and dictated text.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sox -n -r 16000 -c 1 -b 16 "$tmp/gap.wav" trim 0 1.0

say() {  # say OUT VOICE SPEED "utterance" ["utterance" ...]
  local out=$1 voice=$2 speed=$3; shift 3
  local parts=() i=0
  for text in "$@"; do
    espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw$i.wav" "$text"
    sox "$tmp/raw$i.wav" -r 16000 -c 1 -b 16 "$tmp/u$i.wav"
    parts+=("$tmp/u$i.wav" "$tmp/gap.wav"); i=$((i + 1))
  done
  sox "${parts[@]}" -C 8 "$out.flac"
  printf '%s\n' "$@" > "$out.txt"
}

say cxr_dictation en-us 165 \
  "Go to findings." \
  "There is a small left pleural effusion. No pneumothorax. The cardiomediastinal silhouette is normal." \
  "Next field." \
  "No lines or tubes." \
  "Go to impression." \
  "Small left pleural effusion. No acute disease period"
say measurements en-us 160 "There is a seven millimeter nodule in the right upper lobe." \
  "The mass measures three point two by two centimeters period"
say spine en-us 160 "Disc protrusion at L four five. Mild narrowing at L five S one period"
say commands_in_text en-us 165 "The next field of view is clear period"
# terms a single decode mis-hears in this voice and the recalled second decode gets right
say recall en+m3 170 "Sequela of prior granulomatous disease." "Median sternotomy wires are intact."
# begins with the sentence the chest prompt ends with: Whisper would take it as already said
say normal_first en+m3 165 "No acute cardiopulmonary disease. The heart size is normal."
# a command at the end of an utterance, which the report-primed decoder writes as report
# words ("Delete left hemidiaphragm period."): heard again with the command prompt
say command_at_end en-us 165 "Small left pleural effusion. Delete last sentence."
# "Undo." in a voice the decoder hears no words in (the VAD does hear speech): the CLI and
# the TUI say so rather than lose it silently
say no_words en+f2 160 "Undo."
# lists said with commas that the decoder writes with full stops at the pauses ("No fractures.
# Dislocations or bone destruction."): joined back, so the findings stay negated
say negated_list en-us 165 \
  "Otherwise, no focal consolidation, large pleural effusion, or pneumothorax. No fractures, dislocations, or bone destruction."
# "new paragraph" said on its own, which the report-primed decoder writes as a made-up word
# ("Euparadraft"): heard again with the break prompt, it starts a paragraph
say breaks en-us 165 "Small left pleural effusion." "new paragraph" "Heart size is normal."
# a short sentence the decoder hears nothing sure in: without a template it wrote the default
# prompt's words instead ("No pleural effusion.", each at probability ~0), which are dropped
say prompt_copy en+m3 160 "Lung volumes are low."
# telegraphic sentences about an organ: "Heart normal." sounds like "insert normal" to the
# letters, and once inserted the whole normal findings text; a sentence naming anatomy is text
say heart_normal en-us 160 "Heart normal." "Lungs clear."
# field values said after the field's name, without a pause or a comma ("Postvoid residual
# 50 mL."): each fills its field of the renal ultrasound template
say renal_lengths en-us 160 "Right kidney length eleven point two centimeters." \
  "Left kidney length ten point five centimeters." "Post void residual fifty milliliters."
# a numbered impression, "number one ...": Whisper writes "Number 1. Small left", or the numero
# sign ("No. 1. Small left pleural effusion"), which reads as a negation of the finding;
# written as the list item "1."
say numbered_impression en-gb 150 "Go to impression." \
  "Number one, small left pleural effusion. Number two, no pneumothorax."
# a field's name that is in no report sentence ("uterine length"): with nothing to recall for
# it the second decode wrote "Eugaring length 9.8 cm." and no field took the value; the
# template's field sentences are recalled too
say pelvis_fields en-us 160 \
  "Findings. Uterine length nine point eight centimeters. Endometrial thickness eight millimeters. Free fluid trace."
# "Undo." takes back the dictated sentence and "Redo." puts it back (a value said alone
# can come back from the command decode as a sure "Undo.")
say undo_redo en-us 160 "Go to impression." "Small left pleural effusion." "Undo." "Redo."
# silence with a faint hiss, and broadband noise: both must give no words
sox -n -r 16000 -c 1 -b 16 -C 8 silence.flac synth 3 whitenoise vol 0.0005
sox -n -r 16000 -c 1 -b 16 -C 8 noise.flac synth 2 pinknoise vol 0.05
: > silence.txt; : > noise.txt
