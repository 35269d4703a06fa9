#!/bin/sh
# Puts a real manual from a Debian package in a folder of its own, for `qa eval --questions` with the question
# files of benchmarks/data/ (docs/benchmarks.md, "Two more manuals"):
#     benchmarks/get_manual.sh freedombox /tmp/fbx   # freedombox-doc-en: the 303-page FreedomBox manual (CC BY-SA 4.0)
#     benchmarks/get_manual.sh amc /tmp/amc          # auto-multiple-choice-doc-pdf: two LaTeX-made PDFs (GPL-2+)
#     benchmarks/get_manual.sh r /tmp/r              # r-doc-pdf: R-admin and R-exts, two Texinfo PDFs (GPL-2+)
#     benchmarks/get_manual.sh why3 /tmp/w && benchmarks/get_manual.sh reportlab /tmp/w
#                                                    # the Why3 manual (Sphinx, LGPL-2.1) and the ReportLab user
#                                                    # guide (made by ReportLab, BSD): one folder, one question set
#     for m in gpsbabel aprx vsearch; do benchmarks/get_manual.sh $m /tmp/g; done
#                                                    # GPSBabel (DocBook via FOP), aprx (LibreOffice) and vsearch
#                                                    # (groff) manuals, GPL-2+: one folder, one question set
#     benchmarks/get_manual.sh sqlite /tmp/s         # eight HTML pages of sqlite3-doc (public domain)
#     benchmarks/get_manual.sh git /tmp/gd           # eight HTML pages of git-doc, made by AsciiDoc (GPL-2)
#     benchmarks/get_manual.sh borg /tmp/b           # nine HTML pages of borgbackup-doc, made by Sphinx (BSD-3)
#     benchmarks/get_manual.sh git-lfs /tmp/l        # git-lfs's Markdown specs and its changelog (MIT)
#     benchmarks/get_manual.sh postfix /tmp/p        # ten plain-text READMEs of postfix-doc, bold overstruck (IPL-1.0
#                                                    # or EPL-2.0), saved with ".txt" as the question files name them
#     benchmarks/get_manual.sh bash /tmp/bm          # the Bash Reference Manual, one Texinfo HTML page (GFDL)
#     benchmarks/get_manual.sh python-howto /tmp/ph  # eight Python 3.11 HOWTO pages, made by Sphinx (PSF licence)
#     benchmarks/get_manual.sh debian-faq-fr /tmp/fr # the Debian FAQ in French, 17 DocBook HTML pages (GPL-2+)
#     benchmarks/get_manual.sh maint-guide-fr /tmp/mg # the New Maintainers' Guide in French, 11 HTML pages (GPL-2+)
# The questions' pages are those of freedombox-doc-en 23.6.2+deb12u2, auto-multiple-choice-doc-pdf 1.6.0-1,
# r-doc-pdf 4.2.2.20221110-2, why3-doc-pdf 1.5.1-1, python-reportlab-doc 3.6.12-1+deb12u1, gpsbabel-doc
# 1.8.0+ds-5, aprx 2.9.1-1 and vsearch 2.22.1-1 (sqlite3-doc 3.40.1-2+deb12u2 and git-doc 1:2.39.5-0+deb12u3 for
# the HTML sets; borgbackup-doc 1.2.4-1 and git-lfs 3.3.0-1+deb12u2 for the Sphinx and Markdown sets;
# postfix-doc 3.7.11-0+deb12u1 for the plain-text set, bash-doc 5.2.15-2 for the Texinfo page, python3.11-doc
# 3.11.2-6+deb12u9, debian-faq-fr 11.1 and maint-guide-fr 1.2.53 for the Python HOWTOs and the French sets); another
# version may move them. A file given as path=name is saved
# under that name, unpacked where the package ships it gzipped.
set -eu
case "${1:-}" in
    freedombox) package=freedombox-doc-en; files="usr/share/freedombox/manual/en/freedombox-manual.pdf" ;;
    amc) package=auto-multiple-choice-doc-pdf
         files="usr/share/doc/auto-multiple-choice/auto-multiple-choice.en.pdf usr/share/doc/auto-multiple-choice/latex/automultiplechoice.pdf" ;;
    r) package=r-doc-pdf; files="usr/share/R/doc/manual/R-admin.pdf usr/share/R/doc/manual/R-exts.pdf" ;;
    why3) package=why3-doc-pdf; files="usr/share/doc/why3-doc-pdf/manual.pdf=why3-manual.pdf" ;;
    reportlab) package=python-reportlab-doc
               files="usr/share/doc/python-reportlab-doc/reportlab-userguide.pdf" ;;
    gpsbabel) package=gpsbabel-doc; files="usr/share/doc/gpsbabel/gpsbabel.pdf.gz=gpsbabel-1.8.0-documentation.pdf" ;;
    aprx) package=aprx; files="usr/share/doc/aprx/aprx-manual.pdf.gz=aprx-2.9-manual.pdf" ;;
    vsearch) package=vsearch; files="usr/share/doc/vsearch/vsearch_manual.pdf.gz=vsearch-2.22.1-manual.pdf" ;;
    sqlite) package=sqlite3-doc
            files=$(for f in limits lang_datefunc cli wal pragma datatype3 autoinc foreignkeys; do
                echo "usr/share/doc/sqlite3/$f.html"; done) ;;
    git) package=git-doc
         files=$(for f in user-manual gitignore git-bisect git-stash gitattributes git-worktree git-gc gitcredentials; do
             echo "usr/share/doc/git-doc/$f.html"; done) ;;
    borg) package=borgbackup-doc
          files=$(for f in faq quickstart usage/general usage/create usage/prune usage/init usage/mount \
                      internals/data-structures internals/security; do echo "usr/share/doc/borgbackup/html/$f.html"; done) ;;
    git-lfs) package=git-lfs
             files=$(for f in authentication basic-transfers linux-build server-discovery; do
                         echo "usr/share/doc/git-lfs/$f.md"; done
                     for f in batch custom-transfers extensions l10n locking spec; do
                         echo "usr/share/doc/git-lfs/$f.md.gz=$f.md"; done
                     echo "usr/share/doc/git-lfs/changelog.gz=changelog.md") ;;
    postfix) package=postfix-doc
             files=$(for f in BASIC_CONFIGURATION SOHO SASL POSTSCREEN ADDRESS_REWRITING DEBUG SMTPD_ACCESS FILTER \
                         MULTI_INSTANCE QSHAPE; do echo "usr/share/doc/postfix/${f}_README.gz=${f}_README.txt"; done) ;;
    bash) package=bash-doc; files="usr/share/doc/bash/bashref.html" ;;
    python-howto) package=python3.11-doc
                  files=$(for f in argparse logging regex sorting unicode urllib2 ipaddress sockets; do
                              echo "usr/share/doc/python3.11/html/howto/$f.html"; done) ;;
    debian-faq-fr) package=debian-faq-fr
                   files=$(for f in basic-defs choosing compatibility contributing customizing faqinfo ftparchives \
                               getting-debian index kernel nextrelease pkg-basics pkgtools redistributing software support \
                               uptodate; do echo "usr/share/doc/debian/FAQ/fr/$f.fr.html"; done) ;;
    maint-guide-fr) package=maint-guide-fr
                    files=$(for f in advanced build checkit dother dreq first index modify start update upload; do
                                echo "usr/share/doc/maint-guide-fr/html/$f.fr.html"; done) ;;
    *) echo "usage: $0 freedombox|amc|r|why3|reportlab|gpsbabel|aprx|vsearch|sqlite|git|borg|git-lfs|postfix|bash" \
            "|python-howto|debian-faq-fr|maint-guide-fr [folder]" >&2
       exit 2 ;;
esac
dest=${2:-/tmp/$1}
work=$(mktemp -d)
chmod 777 "$work"  # apt-get download writes as its own user
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$package" >/dev/null)
dpkg-deb -x "$work/$package"_*.deb "$work/x"
mkdir -p "$dest"
for file in $files; do
    case "$file" in
        *.gz=*) gunzip -c "$work/x/${file%%=*}" > "$dest/${file#*=}" ;;
        *=*) cp "$work/x/${file%%=*}" "$dest/${file#*=}" ;;
        *) cp "$work/x/$file" "$dest/" ;;
    esac
done
echo "$dest: $(ls "$dest" | tr '\n' ' ')($package $(dpkg-deb -f "$work/$package"_*.deb Version))"
