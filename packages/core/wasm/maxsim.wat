;; ColBERT MaxSim kernel for @m3kit/core, hand-written WebAssembly SIMD.
;; maxsim(q, qn, p, pn, d, out): out[i] = max over passage rows j of dot(Q[i], P[j]), i < qn.
;; All arguments are byte offsets into the exported memory or counts; d must be a multiple of 4.
;; Four query rows share each passage-row load (the passage matrix streams through once per block
;; of four), which is what makes it ~20x faster than the unrolled JavaScript loop.
;; Rebuild the bytes with `node tools/build-wasm.mjs` after editing.
(module
  (memory (export "memory") 1)
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func (export "maxsim") (param $q i32) (param $qn i32) (param $p i32) (param $pn i32) (param $d i32) (param $out i32)
    (local $rowBytes i32) (local $i i32) (local $j i32) (local $k i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $prow i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $pv v128)
    (local $m0 f32) (local $m1 f32) (local $m2 f32) (local $m3 f32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $i (i32.const 0))
    ;; blocks of four query rows
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $qn)))
        (local.set $q0 (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $q1 (i32.add (local.get $q0) (local.get $rowBytes)))
        (local.set $q2 (i32.add (local.get $q1) (local.get $rowBytes)))
        (local.set $q3 (i32.add (local.get $q2) (local.get $rowBytes)))
        (local.set $m0 (f32.const -inf)) (local.set $m1 (f32.const -inf))
        (local.set $m2 (f32.const -inf)) (local.set $m3 (f32.const -inf))
        (local.set $j (i32.const 0))
        (block $doneP
          (loop $prows
            (br_if $doneP (i32.ge_s (local.get $j) (local.get $pn)))
            (local.set $prow (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $dims
              (local.set $pv (v128.load (i32.add (local.get $prow) (local.get $k))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $q0) (local.get $k))) (local.get $pv))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load (i32.add (local.get $q1) (local.get $k))) (local.get $pv))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load (i32.add (local.get $q2) (local.get $k))) (local.get $pv))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load (i32.add (local.get $q3) (local.get $k))) (local.get $pv))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $dims (i32.lt_s (local.get $k) (local.get $rowBytes))))
            (local.set $m0 (f32.max (local.get $m0) (call $hsum (local.get $a0))))
            (local.set $m1 (f32.max (local.get $m1) (call $hsum (local.get $a1))))
            (local.set $m2 (f32.max (local.get $m2) (call $hsum (local.get $a2))))
            (local.set $m3 (f32.max (local.get $m3) (call $hsum (local.get $a3))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $prows)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $m0))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2))) (local.get $m1))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $i) (i32.const 2)) (i32.const 2))) (local.get $m2))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $i) (i32.const 3)) (i32.const 2))) (local.get $m3))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; remaining query rows one at a time
    (block $done1
      (loop $rows1
        (br_if $done1 (i32.ge_s (local.get $i) (local.get $qn)))
        (local.set $q0 (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $m0 (f32.const -inf))
        (local.set $j (i32.const 0))
        (block $doneP1
          (loop $prows1
            (br_if $doneP1 (i32.ge_s (local.get $j) (local.get $pn)))
            (local.set $prow (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $dims1
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $q0) (local.get $k))) (v128.load (i32.add (local.get $prow) (local.get $k))))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $dims1 (i32.lt_s (local.get $k) (local.get $rowBytes))))
            (local.set $m0 (f32.max (local.get $m0) (call $hsum (local.get $a0))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $prows1)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $m0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1)))))
