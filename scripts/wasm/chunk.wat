;; The core's WebAssembly (lib/logging.ts, CHUNK_WASM), in one module.
;; Built with `wat2wasm scripts/wasm/chunk.wat` (wabt); tests/wasm.test.ts checks
;; that the module embedded in lib/logging.ts is the build of this file.
;;
;; newlines: how many newline bytes there are in [96 + $from, 96 + $len), 16 at a
;; time; the bytes after them, up to the next 16, must not be newlines.
;;
;; scan: the chunk scan. Tables at 0..95: first-lo, first-hi, second-lo,
;; second-hi, single-lo, single-hi. Bytes to scan from 96; [len, len + 32) must
;; be spaces. Returns the offset of the first 32-byte block at or after $from
;; holding a single or a pair (which may start at the block's offset - 1), or -1.
;;
;; flagged: the next record of a chunk that holds a set of the scan (below).
(module
  (memory (export "memory") 6)
  (func (export "newlines") (param $from i32) (param $len i32) (result i32)
    (local $i i32) (local $end i32) (local $n i32) (local $newline v128)
    (local.set $newline (i8x16.splat (i32.const 0x0a)))
    (local.set $i (i32.add (local.get $from) (i32.const 96)))
    (local.set $end (i32.add (local.get $len) (i32.const 96)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $n (i32.add (local.get $n)
        (i32.popcnt (i8x16.bitmask (i8x16.eq (v128.load (local.get $i)) (local.get $newline))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vectors)))
    (local.get $n))
  (func $scan (export "scan") (param $from i32) (param $len i32) (result i32)
    (local $i i32) (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $f v128) (local $fprev v128) (local $hit v128)
    (local $flo v128) (local $fhi v128) (local $slo v128) (local $shi v128) (local $xlo v128) (local $xhi v128)
    (local $nib v128)
    (local.set $flo (v128.load (i32.const 0)))
    (local.set $fhi (v128.load (i32.const 16)))
    (local.set $slo (v128.load (i32.const 32)))
    (local.set $shi (v128.load (i32.const 48)))
    (local.set $xlo (v128.load (i32.const 64)))
    (local.set $xhi (v128.load (i32.const 80)))
    (local.set $nib (i8x16.splat (i32.const 15)))
    (local.set $i (i32.add (local.get $from) (i32.const 96)))
    (local.set $end (i32.add (local.get $len) (i32.const 96)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ;; block A
      (local.set $v (v128.load (local.get $i)))
      (local.set $lo (v128.and (local.get $v) (local.get $nib)))
      (local.set $hi (v128.and (i16x8.shr_u (local.get $v) (i32.const 4)) (local.get $nib)))
      (local.set $f (v128.and (i8x16.swizzle (local.get $flo) (local.get $lo)) (i8x16.swizzle (local.get $fhi) (local.get $hi))))
      (local.set $hit (v128.or
            (v128.and
              (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 (local.get $f) (local.get $fprev))
              (v128.and (i8x16.swizzle (local.get $slo) (local.get $lo)) (i8x16.swizzle (local.get $shi) (local.get $hi))))
            (v128.and (i8x16.swizzle (local.get $xlo) (local.get $lo)) (i8x16.swizzle (local.get $xhi) (local.get $hi)))))
      ;; block B
      (local.set $v (v128.load offset=16 (local.get $i)))
      (local.set $lo (v128.and (local.get $v) (local.get $nib)))
      (local.set $hi (v128.and (i16x8.shr_u (local.get $v) (i32.const 4)) (local.get $nib)))
      (local.set $fprev (v128.and (i8x16.swizzle (local.get $flo) (local.get $lo)) (i8x16.swizzle (local.get $fhi) (local.get $hi))))
      (if (v128.any_true (v128.or (local.get $hit) (v128.or
            (v128.and
              (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 (local.get $fprev) (local.get $f))
              (v128.and (i8x16.swizzle (local.get $slo) (local.get $lo)) (i8x16.swizzle (local.get $shi) (local.get $hi))))
            (v128.and (i8x16.swizzle (local.get $xlo) (local.get $lo)) (i8x16.swizzle (local.get $xhi) (local.get $hi))))))
        (then (return (i32.sub (local.get $i) (i32.const 96)))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $blocks)))
    (i32.const -1))

;; classes: which of the scan's sets occur in [96 + $from, 96 + $to), for the
  ;; rules of one record: the singles' flags in bits 0-7, the pairs' in bits 8-15.
  ;; A pair whose first byte is at $from - 1 is not counted; nor is any byte
  ;; from $to on (the last vector's lanes past it are masked).
  (func $classes (param $from i32) (param $to i32) (result i32)
    (local $i i32) (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $f v128) (local $fprev v128) (local $pairs v128) (local $singles v128) (local $nib v128) (local $keep v128)
    (local.set $nib (i8x16.splat (i32.const 15)))
    (local.set $i (i32.add (local.get $from) (i32.const 96)))
    (local.set $end (i32.add (local.get $to) (i32.const 96)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (v128.load (local.get $i)))
      (local.set $lo (v128.and (local.get $v) (local.get $nib)))
      (local.set $hi (v128.and (i16x8.shr_u (local.get $v) (i32.const 4)) (local.get $nib)))
      (local.set $f (v128.and (i8x16.swizzle (v128.load (i32.const 0)) (local.get $lo)) (i8x16.swizzle (v128.load (i32.const 16)) (local.get $hi))))
      ;; The lanes before $to: all but in the last vector.
      (local.set $keep (i8x16.lt_u
        (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
        (i8x16.splat (select (i32.sub (local.get $end) (local.get $i)) (i32.const 16) (i32.lt_u (i32.sub (local.get $end) (local.get $i)) (i32.const 16))))))
      (local.set $pairs (v128.or (local.get $pairs) (v128.and (local.get $keep) (v128.and
        (i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 (local.get $f) (local.get $fprev))
        (v128.and (i8x16.swizzle (v128.load (i32.const 32)) (local.get $lo)) (i8x16.swizzle (v128.load (i32.const 48)) (local.get $hi)))))))
      (local.set $singles (v128.or (local.get $singles) (v128.and (local.get $keep)
        (v128.and (i8x16.swizzle (v128.load (i32.const 64)) (local.get $lo)) (i8x16.swizzle (v128.load (i32.const 80)) (local.get $hi))))))
      (local.set $fprev (local.get $f))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vectors)))
    ;; The singles in lanes 0-7 and the pairs in 8-15, each half folded into its first lane.
    (local.set $v (v128.or
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $singles) (local.get $pairs))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $singles) (local.get $pairs))))
    (local.set $v (v128.or (local.get $v) (i8x16.shuffle 4 5 6 7 0 0 0 0 12 13 14 15 0 0 0 0 (local.get $v) (local.get $v))))
    (local.set $v (v128.or (local.get $v) (i8x16.shuffle 2 3 0 0 0 0 0 0 10 11 0 0 0 0 0 0 (local.get $v) (local.get $v))))
    (local.set $v (v128.or (local.get $v) (i8x16.shuffle 1 0 0 0 0 0 0 0 9 0 0 0 0 0 0 0 (local.get $v) (local.get $v))))
    (i32.or (i8x16.extract_lane_u 0 (local.get $v)) (i32.shl (i8x16.extract_lane_u 8 (local.get $v)) (i32.const 8))))

  ;; recordStart: where the record holding byte $at (relative to 96) starts: just
  ;; after the last newline before $at that no space follows (a continuation
  ;; line of a record begins with spaces); $low, a record's start, at the earliest.
  (func $recordStart (param $at i32) (param $low i32) (result i32)
    (block $done (loop $bytes
      (br_if $done (i32.le_u (local.get $at) (local.get $low)))
      (if (i32.and
            (i32.eq (i32.load8_u offset=95 (local.get $at)) (i32.const 0x0a))
            (i32.ne (i32.load8_u offset=96 (local.get $at)) (i32.const 0x20)))
        (then (return (local.get $at))))
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (br $bytes)))
    (local.get $low))

  ;; recordEnd: just past the newline that ends the record starting at $at: the
  ;; first one that no space follows; $len when there is none.
  (func $recordEnd (param $at i32) (param $len i32) (result i32)
    (block $done (loop $bytes
      (br_if $done (i32.ge_u (local.get $at) (local.get $len)))
      (if (i32.and
            (i32.eq (i32.load8_u offset=96 (local.get $at)) (i32.const 0x0a))
            (i32.ne (i32.load8_u offset=97 (local.get $at)) (i32.const 0x20)))
        (then (return (i32.add (local.get $at) (i32.const 1)))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (br $bytes)))
    (local.get $len))

  ;; flagged: the next record, from $from (a record's start) on, of the chunk at
  ;; [96, 96 + $len) that holds one of the scan's sets; with $every, simply the
  ;; next record. $block is where the scan found the first flag, or -1 to scan.
  ;; Returns the record's start and writes its end and its sets (as classes) as
  ;; two i32 at $slot; -1 when there is none. Records are found only around the
  ;; blocks the scan flags; the padding after the chunk (spaces) ends none.
  (func (export "flagged") (param $from i32) (param $len i32) (param $block i32) (param $every i32) (param $slot i32) (result i32)
    (local $start i32) (local $end i32) (local $stop i32) (local $sets i32)
    (loop $blocks
      (if (i32.ge_u (local.get $from) (local.get $len)) (then (return (i32.const -1))))
      (if (local.get $every)
        (then
          (local.set $start (local.get $from))
          (local.set $stop (local.get $len)))
        (else
          (if (i32.lt_s (local.get $block) (i32.const 0))
            (then (local.set $block (call $scan (local.get $from) (local.get $len)))))
          (if (i32.lt_s (local.get $block) (i32.const 0)) (then (return (i32.const -1))))
          ;; A pair may start on the byte before the block.
          (local.set $start (call $recordStart
            (select (i32.sub (local.get $block) (i32.const 1)) (local.get $from) (i32.gt_u (local.get $block) (local.get $from)))
            (local.get $from)))
          (local.set $stop (i32.add (local.get $block) (i32.const 32)))
          (local.set $block (i32.const -1))))
      (loop $records
        (local.set $end (call $recordEnd (local.get $start) (local.get $len)))
        (local.set $sets (call $classes (local.get $start) (local.get $end)))
        (if (i32.or (local.get $every) (local.get $sets))
          (then
            (i32.store (local.get $slot) (local.get $end))
            (i32.store offset=4 (local.get $slot) (local.get $sets))
            (return (local.get $start))))
        (local.set $start (local.get $end))
        (br_if $records (i32.and (i32.lt_u (local.get $start) (local.get $stop)) (i32.lt_u (local.get $start) (local.get $len)))))
      (local.set $from (local.get $start))
      (br $blocks))
    (i32.const -1))

  ;; expand: lines of plain ASCII, each given the same head. The bytes at
  ;; [$in, $in + $inLen) are lines joined by newlines, with a newline at
  ;; $in + $inLen and 16 readable bytes after it. Writes each line as head, line,
  ;; newline at $out, and returns how many bytes, or -1 when a line holds a byte
  ;; that is not plain (below space but tab, or above ~: a control character,
  ;; DEL, a byte of UTF-8), or -2 when they would not fit in $outCap bytes.
  ;; A head of up to 64 bytes is kept in four vectors and stored whole (what
  ;; goes past its end is overwritten by the line); a longer one is copied.
  (func (export "expand") (param $head i32) (param $headLen i32) (param $in i32) (param $inLen i32) (param $out i32) (param $outCap i32) (result i32)
    (local $end i32) (local $o i32) (local $oend i32) (local $v v128) (local $nl i32) (local $bad i32) (local $p i32)
    (local $space v128) (local $tilde v128) (local $tab v128) (local $newline v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128) (local $short i32)
    (local.set $space (i8x16.splat (i32.const 0x20)))
    (local.set $tilde (i8x16.splat (i32.const 0x7e)))
    (local.set $tab (i8x16.splat (i32.const 0x09)))
    (local.set $newline (i8x16.splat (i32.const 0x0a)))
    (local.set $h0 (v128.load (local.get $head)))
    (local.set $h1 (v128.load offset=16 (local.get $head)))
    (local.set $h2 (v128.load offset=32 (local.get $head)))
    (local.set $h3 (v128.load offset=48 (local.get $head)))
    (local.set $short (i32.le_u (local.get $headLen) (i32.const 64)))
    (local.set $end (i32.add (local.get $in) (local.get $inLen)))
    (local.set $o (local.get $out))
    (local.set $oend (i32.add (local.get $out) (local.get $outCap)))
    (loop $lines
      ;; Room for the head (64 bytes stored, or the head copied) and a first 16 bytes of line.
      (if (i32.gt_u (i32.add (i32.add (local.get $o) (local.get $headLen)) (i32.const 80)) (local.get $oend))
        (then (return (i32.const -2))))
      (if (local.get $short)
        (then
          (v128.store (local.get $o) (local.get $h0))
          (v128.store offset=16 (local.get $o) (local.get $h1))
          (v128.store offset=32 (local.get $o) (local.get $h2))
          (v128.store offset=48 (local.get $o) (local.get $h3)))
        (else (memory.copy (local.get $o) (local.get $head) (local.get $headLen))))
      (local.set $o (i32.add (local.get $o) (local.get $headLen)))
      (loop $vectors
        (if (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $oend))
          (then (return (i32.const -2))))
        ;; 16 bytes copied at once; only those up to the newline are kept.
        (local.set $v (v128.load (local.get $in)))
        (v128.store (local.get $o) (local.get $v))
        (local.set $nl (i8x16.bitmask (i8x16.eq (local.get $v) (local.get $newline))))
        (local.set $bad (i8x16.bitmask (v128.or
          (v128.andnot
            (i8x16.lt_u (local.get $v) (local.get $space))
            (v128.or (i8x16.eq (local.get $v) (local.get $tab)) (i8x16.eq (local.get $v) (local.get $newline))))
          (i8x16.gt_u (local.get $v) (local.get $tilde)))))
        (if (i32.eqz (local.get $nl))
          (then
            (if (local.get $bad) (then (return (i32.const -1))))
            (local.set $in (i32.add (local.get $in) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $vectors)))
        ;; The line ends within these 16 bytes, at the first newline.
        (local.set $p (i32.ctz (local.get $nl)))
        (if (i32.and (local.get $bad) (i32.sub (i32.shl (i32.const 1) (local.get $p)) (i32.const 1)))
          (then (return (i32.const -1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $in (i32.add (local.get $in) (local.get $p)))
        (local.set $o (i32.add (local.get $o) (local.get $p))))
      (br_if $lines (i32.le_u (local.get $in) (local.get $end))))
    (i32.sub (local.get $o) (local.get $out))))
