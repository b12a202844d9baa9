/* switch_amd64.S: the x86-64 context switch between Gs (and an M's scheduler stack, g0).
 *
 * goro_switch(Ctx* from, Ctx* to): pushes the callee-saved integer registers (rbp rbx r12-r15),
 * stores rsp in from->sp (offset 0, static_assert'ed in sched.h), loads to->sp and pops the same
 * frame. Caller-saved registers are already dead at the call, so nothing else is saved. The MXCSR
 * and x87 control words are NOT switched (as in Go, and boost.context's no-FPU variant): loading
 * them costs more than the rest of the switch (ldmxcsr/fldcw serialise), and they are
 * thread-wide settings a G has no business leaving changed at a scheduling point (HACKING.md).
 * The saved frame, from sp upwards:
 *   [0] r15 [1] r14 [2] r13 [3] r12 [4] rbx [5] rbp [6] return pc
 * so an outside unwinder finds a parked G's pc at sp+48 and its frame pointer at sp+40.
 *
 * goro_gstart: where a new G's first switch returns to. It clears rbp (the end of the frame
 * chain for unwinders), marks rip undefined for CFI unwinders, and calls goro_g_main, which
 * never returns.
 */
#if defined(__x86_64__)
        .text
        .globl  goro_switch
        .type   goro_switch, @function
        .p2align 4
goro_switch:
        .cfi_startproc
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset rbp, 0
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        movq    %rsp, (%rdi)
        movq    (%rsi), %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   goro_switch, .-goro_switch

        .globl  goro_gstart
        .type   goro_gstart, @function
        .p2align 4
goro_gstart:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        call    goro_g_main
        ud2
        .cfi_endproc
        .size   goro_gstart, .-goro_gstart
#else
#error "goro: only x86-64 has a context switch so far"
#endif
        .section .note.GNU-stack,"",@progbits
