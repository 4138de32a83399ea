"""Write the synthetic SIGHT samples in this folder (deterministic: run it, commit its output).

    python datasets/sight/generate.py

All comments are written for edukit (none is from the real corpus). The files copy the real
layouts and quirks: the wide `sample_dataset.csv` with its exact column order, the stray column
`68`, blank cells for "not annotated", float comment ids, quotes, newlines and a CR LF inside
comments; the space-separated, quoted `sight_dataset.csv`; `metadata/*.json`;
`transcripts/*.txt`; and a prompt folder named like the paper's (`v39_general.txt`).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

LABELS = (
    "general", "setup", "pedagogy", "confusion", "gratitude", "personal_experience",
    "clarification", "bookmark", "non_english", "na",
)  # fmt: skip
CODES = {
    "g": "general", "s": "setup", "p": "pedagogy", "c": "confusion", "t": "gratitude",
    "e": "personal_experience", "q": "clarification", "b": "bookmark", "x": "non_english",
    "n": "na",
}  # fmt: skip

# The real header, column for column (openaichat prompt versions and the stray `68`).
MODEL_COLUMNS = (
    "v1_gratitude v0_setup v8_confusion v47_pedagogy v0_non_english v8_bookmark "
    "v1_clarification v39_general v45_personal_experience v3_na v46_personal_experience "
    "v47_personal_experience v48_personal_experience v49_personal_experience "
    "v50_personal_experience v40_general v48_pedagogy v49_pedagogy v50_pedagogy v51_pedagogy "
    "v52_pedagogy v53_pedagogy v54_pedagogy v55_pedagogy v56_pedagogy v57_pedagogy v58_pedagogy "
    "v59_pedagogy v60_pedagogy v61_pedagogy v62_pedagogy v63_pedagogy v64_pedagogy v65_pedagogy "
    "v66_pedagogy v67_pedagogy v68_pedagogy v69_pedagogy v70_pedagogy v71_pedagogy v72_pedagogy "
    "v73_pedagogy 68 v51_personal_experience v74_pedagogy v52_personal_experience "
    "v73b_pedagogy v73c_pedagogy v73d_pedagogy v74_na v74_clarification v74_non_english "
    "v74_gratitude v74_general v74_confusion v74_setup v75_pedagogy v75_clarification "
    "v75_personal_experience v75_confusion v75_non_english v75_na v75_setup v75_general "
    "v75_gratitude"
).split()
HEADER = [
    "datasplit", "comment", "video_id", "video_name", "playlist_name",
    *[f"annotator_H1_{lab}" for lab in LABELS],
    *[f"annotator_H2_{lab}" for lab in LABELS],
    "comment_id",
    *[c if c == "68" else f"annotator_openaichat_{c}" for c in MODEL_COLUMNS],
]  # fmt: skip
# The model versions we fill: the zero-shot set (prompts/bin_zeroshot) for every comment, and
# the k-shot v74 set for about two thirds of them (blank elsewhere, as in the real file).
ZEROSHOT = {
    "gratitude": "v1", "setup": "v0", "confusion": "v8", "pedagogy": "v73d",
    "non_english": "v0", "clarification": "v1", "general": "v39",
    "personal_experience": "v46", "na": "v3",
}  # fmt: skip
KSHOT = {lab: "v74" for lab in LABELS if lab not in ("bookmark", "personal_experience")}

VIDEOS = [
    ("Qs7fLk2vR1a", "Lec 3 | Synthetic Calculus, Fall 2021", "Synthetic Calculus, Fall 2021"),
    ("b9XcT0pLw4E", "Lec 7: Chain rule | Synthetic Calculus, Fall 2021",
     "Synthetic Calculus, Fall 2021"),
    ("-hN2mZq8YtU", "5. Determinants and Elimination", "Synthetic Linear Algebra, Spring 2022"),
    ("Zr4_pKe91sM", "12. Eigenvalues and Eigenvectors", "Synthetic Linear Algebra, Spring 2022"),
    ("m0Vd7wQx3Jc", "Lec 10: Lagrange multipliers | Synthetic Multivariable, Fall 2020",
     "Synthetic Multivariable, Fall 2020"),
]  # fmt: skip

# (comment, H1 labels as codes). Written for edukit; each category has its own vocabulary.
COMMENTS = [
    # general: big-picture opinions about the lecture or the lecturer
    ("Great lecture, one of the best explanations of this topic anywhere.", "g"),
    ("This professor is brilliant, such a clear and engaging teacher.", "g"),
    ("Amazing course. Everything is so clear and well organised.", "g"),
    ("Best math lecturer on the internet, hands down.", "g"),
    ("What a beautiful lecture, the content is excellent.", "g"),
    ("He is a fantastic teacher, calm and precise.", "g"),
    ("Brilliant explanation, this lecture is a gem.", "g"),
    ("Excellent lecture as always, the professor is a legend.", "g"),
    ("This is how math should be taught. Superb.", "gp"),
    ("The best course on linear algebra I have ever seen.", "g"),
    ("Incredible lecturer, I wish every professor was like him.", "g"),
    ("Such a wonderful and clear lecture.", "g"),
    ("Great lecture, thank you so much professor!", "gt"),
    ("Wonderful teacher, thanks MIT for sharing this!", "gt"),
    ("Awesome explanation, really great content.", "g"),
    ("Fantastic lecture, very clear and very well paced.", "g"),
    ("He makes hard topics feel easy. Great teacher.", "g"),
    ("A masterpiece of a lecture.", "g"),
    ("Excellent, clear and engaging, a great instructor.", "g"),
    ("I love this professor, he is brilliant.", "g"),
    # confusion: the commenter does not understand something
    ("I don't understand why the determinant is zero here. Can someone explain?", "c"),
    ("I'm confused at 23:10, where did the factor of 2 come from?", "cb"),
    ("Why does he divide by x here? I don't get it.", "c"),
    ("I'm lost at the part about the null space, why is it a subspace?", "c"),
    ("Can someone explain why the chain rule gives a minus sign here?", "c"),
    ("I still don't get why the eigenvectors are orthogonal. Confused.", "c"),
    ("How did he get from line 2 to line 3? I don't understand the step.", "c"),
    ("Why is the Lagrange multiplier equal to the derivative of the maximum? Confused.", "c"),
    ("I don't understand what a pivot is, can someone explain it simply?", "c"),
    ("Confused about why the limit does not exist at zero??", "c"),
    ("What does he mean by the rank here? I'm lost.", "c"),
    ("I'm confused, isn't the inverse only defined for square matrices?", "cq"),
    ("Why does the integral change sign when we swap the limits? I don't get it.", "c"),
    ("I don't understand the last example at all, why is it not invertible?", "c"),
    ("Can anyone explain why we need the gradient to be parallel? confused", "c"),
    ("Where did the 1/2 go?? I'm confused at 31:05.", "cb"),
    ("I'm confused, I thought the derivative of e^x was x e^(x-1)?", "c"),
    ("Why is det(AB) = det(A) det(B)? I don't get the proof.", "c"),
    # pedagogy: how the lecturer teaches (methods, examples, pacing, board work)
    ("I like how he draws the picture first and only then writes the formula.", "p"),
    ("Starting with a concrete example before the general proof really helps.", "p"),
    ("The way he asks the class questions and waits for answers is great teaching.", "pg"),
    ("Love that he checks the answer with a second method at the end.", "p"),
    ("His use of colour chalk to separate the steps makes it easy to follow.", "p"),
    ("He explains the intuition before the algebra, which is the right way to teach.", "pg"),
    ("I appreciate how he recaps the previous lecture in the first five minutes.", "p"),
    ("The geometric picture he draws for the column space is a great teaching tool.", "p"),
    ("Working through examples step by step on the board is the best way to learn.", "p"),
    ("He uses small numbers in the examples so you can follow the arithmetic.", "p"),
    ("I like that he shows the common mistake first and then fixes it.", "p"),
    ("The pacing is perfect, he repeats the key idea with a second example.", "p"),
    ("Great use of analogies, the spring example makes eigenvalues intuitive.", "pg"),
    ("He writes the summary of the method on the side board, very helpful teaching.", "p"),
    ("I like how he motivates each definition with a problem first.", "p"),
    # setup: audio, video, camera, board, subtitles
    ("The audio is really quiet in this one, had to turn my volume all the way up.", "s"),
    ("The camera keeps cutting away from the board right when he writes the answer.", "s"),
    ("Subtitles are out of sync by a few seconds.", "s"),
    ("The video quality is too low, I can't read the board.", "s"),
    ("There is a loud buzzing sound in the audio from 10:00 onwards.", "sb"),
    ("The camera operator zooms in on his face instead of the blackboard.", "s"),
    ("The lighting makes the board unreadable in the second half.", "s"),
    ("Audio cuts out around 40:12, anyone else?", "sb"),
    ("The blackboard is so clean and the camera angle is perfect in this one.", "s"),
    ("Please fix the captions, they say matrix when he says metrics.", "s"),
    ("The sound is only on the left channel.", "s"),
    ("Can't see the left board because of the camera position.", "s"),
    # gratitude
    ("Thank you MIT for making these lectures free for everyone.", "t"),
    ("Thanks professor, this helped so much!", "t"),
    ("Thank you so much for uploading this.", "t"),
    ("Thanks a lot, you saved my semester.", "te"),
    ("Thank you Khan, thank you MIT, thank you internet.", "t"),
    ("Many thanks for sharing this wonderful course.", "tg"),
    ("Thank you! Finally I get it.", "t"),
    ("Thanks for posting, really appreciated.", "t"),
    ("Thank you very much professor.", "t"),
    ("Huge thanks to everyone who made these videos available.", "t"),
    ("Thanks!! This is gold.", "tg"),
    ("Thank you, thank you, thank you.", "t"),
    ("Grateful for this free lecture, thanks MIT.", "t"),
    ("Thanks for the clear explanation of determinants.", "tg"),
    # personal experience
    ("I'm studying for my exam tomorrow and this lecture saved me.", "e"),
    ("I took this course in college twenty years ago and I'm watching it again now.", "e"),
    ("I'm a high school student and I could follow most of it.", "e"),
    ("My professor never explained it like this, now I finally understand my homework.", "e"),
    ("Watching this at 3 am before my final, wish me luck.", "e"),
    ("I failed linear algebra last year, retaking it and these lectures are helping.", "e"),
    ("I'm 45 and learning calculus for the first time for my job.", "e"),
    ("Our teacher told us to watch this for homework, glad she did.", "e"),
    ("I'm an engineer and I use this every day at work.", "e"),
    ("I'm self-studying this over the summer, lecture 7 done!", "e"),
    ("Passed my exam thanks to this series!", "et"),
    ("I remember my dad teaching me this when I was in school.", "e"),
    # clarification: answers or corrections about the content
    ("At 14:20 he means the row space, not the column space.", "qb"),
    ("To answer the question above: the eigenvalues of a projection matrix are 0 and 1.", "q"),
    ("Small correction: the second pivot should be 3, not 2. He fixes it later.", "q"),
    ("For anyone wondering, the identity he uses is sin^2 x + cos^2 x = 1.", "q"),
    ("Note: the matrix has to be square for the determinant to be defined.", "q"),
    ("He made a sign error on the board, the answer should be -4.", "q"),
    ("In case anyone is confused: the null space of an invertible matrix is just zero.", "q"),
    ("The constraint should be x + y = 1, he wrote x - y by mistake.", "q"),
    ("To clarify, the gradient points in the direction of steepest increase.", "q"),
    ("Answering the earlier question: rank plus nullity equals the number of columns.", "q"),
    # bookmark: timestamps for later
    ("32:15 eigenvalues start here", "b"),
    ("Note to self: 18:40 the proof of the chain rule.", "b"),
    ("12:05 definition of the determinant, 27:30 the cofactor formula", "b"),
    ("Timestamp for the example: 41:10", "b"),
    # non-English
    ("Excelente clase, muchas gracias profesor.", "xt"),
    ("Muito obrigado pela aula, professor incrível!", "xtg"),
    ("Très bonne explication, merci beaucoup.", "xt"),
    ("No entiendo por qué el determinante es cero aquí.", "xc"),
    ("Bahut badiya padhate hain sir, maza aa gaya.", "xg"),
    ("Ich verstehe endlich die Kettenregel, danke!", "xt"),
    ("Que clase tan buena, el profesor explica muy bien.", "xg"),
    ("Grazie mille per questa lezione.", "xt"),
    ("Eu estou estudando para a prova de cálculo amanhã.", "xe"),
    ("Ese profesor es un genio de las matemáticas.", "xg"),
    ("Merci pour la vidéo, le son est un peu faible.", "xts"),
    ("Ders çok güzeldi, teşekkürler hocam.", "xt"),
    ("Sehr gute Vorlesung über Eigenwerte.", "xg"),
    ("Yeh lecture bahut helpful tha, shukriya.", "xt"),
    # na: jokes, off-topic, spam
    ("First!", "n"),
    ("Who else is here in 2024?", "n"),
    ("He looks like my uncle lol", "n"),
    ("This chalk sound gives me chills haha", "n"),
    ("lol the guy in the back sneezed", "n"),
    ("Subscribe to my channel for more math memes", "n"),
    ("anyone else watching this instead of sleeping", "n"),
    ("the chalk broke lmao", "n"),
    ("hello from Brazil", "n"),
    ("He wears the same shirt in every lecture haha", "n"),
    ("Top 10 anime plot twists", "n"),
    ("Me pretending to understand: yes yes", "n"),
    ("I came here by accident lol", "n"),
    ("this is my favourite youtube channel lol", "n"),
    ("Who's the guy coughing at 20:00 lol", "nb"),
    # quirks: quotes, newlines, CR LF inside a comment, mixed categories
    ('He says "obviously" a lot, but it really was obvious after the picture.', "pg"),
    ('What does "linearly independent" mean exactly? I don\'t get the definition.', "c"),
    ("Thanks for this!\nThe part on elimination finally made sense.", "t"),
    ("Great lecture.\r\nBut the audio is too quiet after minute 30.", "gs"),
    ("I had this professor in 2005!\nStill the best teacher I ever had.", "eg"),
    ("Why is the second derivative test inconclusive here?\nI'm confused.", "c"),
    ("I like how he uses the same example all lecture, it keeps things clear.", "p"),
    ("Can someone explain the last step? Thanks in advance!", "ct"),
    ("Note for others: the integral of 1/x is ln|x|, he dropped the absolute value.", "q"),
    ("The whiteboard glare makes the camera useless in this one.", "s"),
    ("Thank you professor, I'm retaking this class and you make it fun.", "te"),
    ("Great explanation, although I'm confused about the last theorem.", "gc"),
    ("The examples he picks are perfect for teaching the idea step by step.", "p"),
    ("Best professor ever!!!", "g"),
    ("Gracias MIT, saludos desde México.", "xt"),
    ("lmao he dropped the chalk again", "n"),
    ("I don't get why the matrix is singular, explain please", "c"),
    ("Audio and video are out of sync here.", "s"),
    ("I'm preparing for my entrance exam and this helps so much.", "e"),
    ("Fantastic professor, the whole series is excellent.", "g"),
    ("Why do we transpose the matrix here? I don't understand.", "c"),
    ("Thanks, this was very helpful!", "t"),
    ("The microphone keeps rustling, hard to hear him.", "s"),
    ("Danke für die tolle Vorlesung!", "xt"),
    ("He pauses after every step so you can think, great teaching style.", "p"),
    ("lol who dislikes a math lecture", "n"),
    ("To clarify for others: a basis must be linearly independent AND span the space.", "q"),
]

# How often H2 drops one of H1's positives / adds one H1 did not give, per label: gratitude,
# non_english and setup are easy to agree on; general, pedagogy, clarification and na are not.
H2_DROP = {
    "general": 0.25, "setup": 0.05, "pedagogy": 0.35, "confusion": 0.1, "gratitude": 0.03,
    "personal_experience": 0.1, "clarification": 0.3, "bookmark": 0.4, "non_english": 0.0,
    "na": 0.2,
}  # fmt: skip
H2_ADD = {
    "general": 0.1, "setup": 0.0, "pedagogy": 0.04, "confusion": 0.02, "gratitude": 0.0,
    "personal_experience": 0.02, "clarification": 0.03, "bookmark": 0.0, "non_english": 0.0,
    "na": 0.08,
}  # fmt: skip
# The model: the zero-shot prompts over-call general and na; v74 is closer to the humans.
MODEL_ERR = {"v39": 0.25, "v3": 0.2, "v74": 0.05}
MODEL_ERR_DEFAULT = 0.08


def labels_of(codes: str) -> set[str]:
    return {CODES[c] for c in codes}


def split_of(i: int, n: int) -> str:
    r = i / n
    return "train" if r < 0.55 else "expansion" if r < 0.65 else "validation" if r < 0.75 else "test"


def flip(rng: random.Random, positive: bool, drop: float, add: float) -> bool:
    return (rng.random() >= drop) if positive else (rng.random() < add)


def fmt(value: bool) -> str:
    return "1.0" if value else "0.0"


def sample_rows(rng: random.Random) -> list[dict[str, str]]:
    comments = COMMENTS[:]
    rng.shuffle(comments)
    ids = rng.sample(range(1, 20000), len(comments))
    rows = []
    for i, ((text, codes), cid) in enumerate(zip(comments, ids, strict=True)):
        truth = labels_of(codes)
        video_id, video_name, playlist = VIDEOS[i % len(VIDEOS)]
        row = dict.fromkeys(HEADER, "")
        row.update(
            datasplit=split_of(i, len(comments)),
            comment=text,
            video_id=video_id,
            video_name=video_name,
            playlist_name=playlist,
            comment_id=f"{cid}.0",
        )
        for lab in LABELS:
            row[f"annotator_H1_{lab}"] = fmt(lab in truth)
            h2 = flip(rng, lab in truth, H2_DROP[lab], H2_ADD[lab])
            row[f"annotator_H2_{lab}"] = fmt(h2)
        for lab, version in ZEROSHOT.items():
            err = MODEL_ERR.get(version, MODEL_ERR_DEFAULT)
            row[f"annotator_openaichat_{version}_{lab}"] = fmt(
                flip(rng, lab in truth, err / 2, err / 2)
            )
        if i % 3 != 2:
            for lab, version in KSHOT.items():
                row[f"annotator_openaichat_{version}_{lab}"] = fmt(
                    flip(rng, lab in truth, MODEL_ERR["v74"], MODEL_ERR["v74"] / 4)
                )
        rows.append(row)
    # Quirks of the real file: two comments H1 labelled only for general, one that H2 skipped
    # (blank cells), and one stray value in the column named 68.
    for r in (rows[5], rows[40]):
        for lab in LABELS[1:]:
            r[f"annotator_H1_{lab}"] = ""
    for lab in LABELS[1:]:
        rows[77][f"annotator_H2_{lab}"] = ""
    rows[12]["68"] = "1.0"
    return rows


def write_sample(rows: list[dict[str, str]]) -> None:
    with (HERE / "sample_dataset.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_big(rows: list[dict[str, str]], rng: random.Random) -> None:
    """sight_dataset.csv: space-separated, minimal quoting, three model columns, no humans."""
    cols = ["v0_setup", "v8_confusion", "v74_pedagogy"]
    header = ["comment", "video_id", "video_name", "playlist_name", "comment_id"]
    header += [f"annotator_openaichat_{c}" for c in cols]
    out = []
    for r in rows[:24]:
        truth = {lab for lab in LABELS if r[f"annotator_H1_{lab}"] == "1.0"}
        line = [r["comment"], r["video_id"], r["video_name"], r["playlist_name"], r["comment_id"]]
        line += [fmt(flip(rng, c.split("_", 1)[1] in truth, 0.05, 0.02)) for c in cols]
        out.append(line)
    out[3][-1] = ""  # a blank (not annotated) cell, as in the real file
    out.append(out[7][:])  # the real file repeats some comments with the same comment_id
    with (HERE / "sight_dataset.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=" ", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(out)


TRANSCRIPTS = {
    "Qs7fLk2vR1a": "Today we look at limits again. Remember the definition from last time: "
    "we want f of x to get close to L when x gets close to a. Let's do an example.",
    "-hN2mZq8YtU": "Okay, so this is lecture five, and the topic is the determinant. "
    "The determinant of a two by two matrix a b c d is ad minus bc. Now, elimination.",
    "Zr4_pKe91sM": "Eigenvalues. We are looking for vectors x such that A x is a multiple of "
    "x. That multiple is lambda, and the equation is det of A minus lambda I equals zero.",
}
METADATA = {
    "Qs7fLk2vR1a": ("Lec 3 | Synthetic Calculus, Fall 2021", "Synthetic OpenCourseWare"),
    "b9XcT0pLw4E": ("Lec 7: Chain rule | Synthetic Calculus, Fall 2021",
                    "Synthetic OpenCourseWare"),
    "-hN2mZq8YtU": ("5. Determinants and Elimination", "Synthetic OpenCourseWare"),
}  # fmt: skip


def write_videos() -> None:
    (HERE / "metadata").mkdir(exist_ok=True)
    (HERE / "transcripts").mkdir(exist_ok=True)
    for video_id, (title, channel) in METADATA.items():
        meta = {
            "video_id": video_id,
            "video_title": title,
            "channel_name": channel,
            "teaching_environment": "single_lecturer_classroom",
            "playlist_id": "PLsynthetic000000000000000000000000",
            "transcription_model": "large-v2",
        }
        (HERE / "metadata" / f"{video_id}.json").write_text(json.dumps(meta), encoding="utf-8")
    for video_id, text in TRANSCRIPTS.items():
        # the real transcripts start with a space (Whisper output) and have no final newline
        (HERE / "transcripts" / f"{video_id}.txt").write_text(" " + text, encoding="utf-8")


PROMPT = """Consider a YouTube comment from the math video below:
Playlist name: {{playlistName}}
Video name: {{videoName}}
Comment: {{comment}}

If the statement below is true, please respond "true"; otherwise, please respond "false":
{statement}
"""
STATEMENTS = {
    "general": "The comment gives a general opinion about the video's content or its instructor.",
    "setup": "The comment is about the recording: audio, video, camera, board or captions.",
    "pedagogy": "The comment is about how the instructor teaches: methods, examples, pacing.",
    "confusion": "The commenter says they do not understand something in the lecture.",
    "gratitude": "The comment thanks the instructor, the institution or the uploader.",
    "personal_experience": "The commenter shares a personal experience (study, exams, work).",
    "clarification": "The comment corrects or clarifies something in the lecture or a comment.",
    "non_english": "The comment is written in English.",
    "na": "The comment is off-topic: jokes, spam, greetings or unrelated remarks.",
}


def write_prompts() -> None:
    folder = HERE / "prompts" / "bin_zeroshot"
    (folder / "label_prompts").mkdir(parents=True, exist_ok=True)
    for label, version in ZEROSHOT.items():
        text = PROMPT.format(statement=STATEMENTS[label])
        (folder / "label_prompts" / f"{version}_{label}.txt").write_text(text, encoding="utf-8")
    info = {
        "valid_labels": {
            lab: ({"true": 0, "false": 1} if lab == "non_english" else {"true": 1, "false": 0})
            for lab in sorted(ZEROSHOT)
        },
        "cot_labels": [],
        "valid_responses": ["true", "false"],
    }
    (folder / "info.json").write_text(json.dumps(info, indent=4) + "\n", encoding="utf-8")


def main() -> None:
    rng = random.Random(2023)
    rows = sample_rows(rng)
    write_sample(rows)
    write_big(rows, rng)
    write_videos()
    write_prompts()


if __name__ == "__main__":
    main()
