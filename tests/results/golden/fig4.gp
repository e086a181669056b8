# fig4: written by fufi report from fig4.dat. Run: gnuplot fig4.gp (in this directory).
set datafile separator whitespace
set datafile missing "NaN"
set encoding utf8
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 900,600 enhanced font "sans,10"
} else {
  set terminal png size 900,600
}
set output "fig4.png"
set title "Efficiency: MAE vs. training time per epoch (bubble area = parameters)"
set xlabel "training time per epoch (s)"
set ylabel "test MAE"
set key top right
set grid
set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1
plot "fig4.dat" index 0 using 3:4:5 with points pt 7 ps variable lc rgb "#4477aa" title "trained (bubble area = parameters)", \
     "fig4.dat" index 0 using 3:4:(sprintf("%s (%.3gM)", stringcolumn(1), $2)) with labels offset char 0,1.5 notitle
unset output
set terminal svg size 900,600 enhanced font "sans,10"
set output "fig4.svg"
set title "Efficiency: MAE vs. training time per epoch (bubble area = parameters)"
set xlabel "training time per epoch (s)"
set ylabel "test MAE"
set key top right
set grid
set offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1
plot "fig4.dat" index 0 using 3:4:5 with points pt 7 ps variable lc rgb "#4477aa" title "trained (bubble area = parameters)", \
     "fig4.dat" index 0 using 3:4:(sprintf("%s (%.3gM)", stringcolumn(1), $2)) with labels offset char 0,1.5 notitle
unset output
