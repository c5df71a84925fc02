;;; eglot_client.el --- Eglot runs the real server, headless  -*- lexical-binding: t -*-

;; Opens a config with a partly typed key or value, asks Eglot's completion
;; table for its candidates the way `completion-at-point' does, completes a
;; unique prefix through Eglot's exit function, and writes what it saw as JSON.
;;
;; Environment: MIRRORD_TEST_PYTHON (the interpreter with mirrord_ide),
;; MIRRORD_TEST_DIR (a directory for the documents), MIRRORD_TEST_OUT (the result).

(require 'package)
;; Debian installs Emacs packages (elpa-eglot) here; -Q leaves it out.
(dolist (dir '("/usr/share/emacs/site-lisp/elpa"))
  (when (file-directory-p dir)
    (add-to-list 'package-directory-list dir)))
(package-initialize)
(require 'eglot)
(require 'json)

(defvar mirrord-test-python (getenv "MIRRORD_TEST_PYTHON"))
(defvar mirrord-test-dir (file-name-as-directory (getenv "MIRRORD_TEST_DIR")))
(defvar mirrord-test-results nil)

(setq eglot-server-programs
      `((js-mode . (,mirrord-test-python "-m" "mirrord_ide" "serve"))))
(setq eglot-sync-connect t
      eglot-connect-timeout 60
      eglot-autoshutdown nil
      completion-styles '(basic))

(defun mirrord-test-record (key value)
  (push (cons key value) mirrord-test-results))

(defun mirrord-test-candidates ()
  "The candidates Eglot's capf offers at point, filtered as Emacs filters them."
  (let* ((capf (eglot-completion-at-point))
         (start (nth 0 capf))
         (end (nth 1 capf))
         (table (nth 2 capf))
         (probe (buffer-substring-no-properties start end))
         (all (completion-all-completions probe table nil (length probe))))
    ;; `completion-all-completions' ends the list with the base size.
    (when (consp all) (setcdr (last all) nil))
    (list (cons "probe" probe)
          (cons "candidates" (vconcat (mapcar #'substring-no-properties all)))
          ;; The table alone, as Eglot filters it (by each item's filterText).
          (cons "table" (vconcat (mapcar #'substring-no-properties
                                         (all-completions probe table)))))))

(defun mirrord-test-open (name text)
  (let ((file (expand-file-name name mirrord-test-dir)))
    (with-temp-file file (insert text))
    (find-file file)
    (js-mode)
    (unless (eglot-current-server)
      (apply #'eglot (eglot--guess-contact)))
    (eglot--managed-mode 1)
    (goto-char (point-max))))

(defun mirrord-test-at (marker)
  "Move point to just after MARKER."
  (goto-char (point-min))
  (search-forward marker))

(condition-case err
    (progn
      ;; A key being typed inside `feature`.
      (mirrord-test-open "mirrord.json" "{\n  \"feature\": {\n    \"ne\n  }\n}\n")
      (mirrord-test-at "\"ne")
      (mirrord-test-record "key" (mirrord-test-candidates))
      ;; A value being typed.
      (erase-buffer)
      (insert "{\n  \"feature\": {\"network\": {\"incoming\": {\"mode\": \"st\"}}}\n}\n")
      (mirrord-test-at "\"st")
      (mirrord-test-record "value" (mirrord-test-candidates))
      ;; Completing a unique prefix applies the server's edit.
      (erase-buffer)
      (insert "{\n  \"target\": \"targetless\",\n  \"oper\n}\n")
      (mirrord-test-at "\"oper")
      (let ((completion-auto-help nil))
        (completion-at-point))
      (mirrord-test-record "completed" (buffer-substring-no-properties (point-min) (point-max))))
  (error (mirrord-test-record "error" (format "%S" err))))

(with-temp-file (getenv "MIRRORD_TEST_OUT")
  (insert (json-encode mirrord-test-results)))
(ignore-errors (eglot-shutdown (eglot-current-server)))
(kill-emacs 0)
